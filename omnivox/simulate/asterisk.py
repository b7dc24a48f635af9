"""The asterisk driver: real calls through Asterisk over AMI.

Each call is an ``Originate`` of ``Local/s@omnivox-ivr`` whose caller half runs the
``caller-sim`` context of ``asterisk-config/etc/extensions.conf`` with ``SIM_SCRIPT``; see
:mod:`omnivox.simulate.asterisk_line` for how the script follows what the IVR plays. When the
IVR hands the caller to a queue (``OmnivoxResult``), the driver reads the channel variables the
IVR set and hangs up.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from omnivox.simulate.asterisk_line import IDLE, TICK_S, AsteriskLine, say_step, sim_step
from omnivox.simulate.caller import Caller
from omnivox.simulate.results import Line
from routing.ami import AMIClient, AMIError, AMIMessage
from speech.audio import silence
from speech.exceptions import AudioError
from speech.synthetic import synthesize

Hold = Callable[[str], Awaitable[None]]
LEAD_MS = 300  # silence around a spoken phrase
ON_HOLD = "w:3600"  # the caller's half just listens while the driver holds the line

IVR_CHANNEL = "Local/s@omnivox-ivr"
CALLER_CONTEXT = "caller-sim"
VARIABLES = (
    "OMNIVOX_STATUS",
    "OMNIVOX_ACTION",
    "OMNIVOX_QUEUE",
    "OMNIVOX_SKILLS",
    "OMNIVOX_PRIORITY",
    "OMNIVOX_INTENT",
    "OMNIVOX_LANGUAGE",
    "OMNIVOX_JOURNEY",
    "OMNIVOX_CUSTOMER",
)


class AsteriskDriver:
    """Places calls through the Asterisk ``ami`` is logged in to."""

    name = "asterisk"

    def __init__(
        self,
        ami: AMIClient,
        *,
        call_timeout: float = 180.0,
        key_timeout: float = 5.0,
        refresh_s: float = 10.0,
        sounds: Path | None = None,
        sound_prefix: str = "omnivox",
    ) -> None:
        self.ami = ami
        self.sounds = sounds  # Asterisk's sounds directory (where ``say`` phrases are written)
        self.sound_prefix = sound_prefix
        self.call_timeout = call_timeout
        self.key_timeout = key_timeout  # a key not read by then is taken as lost
        self.refresh_s = refresh_s

    async def call(
        self, scenario: str, number: str, caller: Caller, hold: Hold | None = None
    ) -> Line:
        """Originate one call and follow it until the IVR side hangs up; a caller the IVR
        queued stays on the line until ``hold(uniqueid)`` returns."""
        call_id = f"sim-{secrets.token_hex(8)}"
        state = AsteriskLine(call_id, caller)
        events: asyncio.Queue[AMIMessage] = asyncio.Queue()

        def take(event: AMIMessage) -> None:
            if state.ours(event):
                events.put_nowait(event)

        unsubscribe = self.ami.on_event("*", take)
        line = Line()
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.call_timeout):
                await self.ami.originate(
                    IVR_CHANNEL,
                    context=CALLER_CONTEXT,
                    exten="s",
                    caller_id=f'"Omnivox simulate" <{number}>',
                    variables={"__OMNIVOX_SCENARIO": scenario, "SIM_SCRIPT": IDLE},
                    channel_id=call_id,
                )
                await self._follow(state, events, line, started, hold)
        except TimeoutError:
            line.error = f"the call did not end within {self.call_timeout:g} s"
            await self._hang_up(state)
        except AMIError as exc:
            line.error = f"AMI: {exc}"
            await self._hang_up(state)
        finally:
            unsubscribe()
        line.error = line.error or state.failed
        line.uniqueid = state.uniqueid
        line.seconds = time.perf_counter() - started
        if state.fallback is not None and line.error is None and not line.caller_hung_up:
            line.variables.setdefault("OMNIVOX_FALLBACK", state.fallback)
        return line

    async def _follow(
        self,
        state: AsteriskLine,
        events: asyncio.Queue[AMIMessage],
        line: Line,
        started: float,
        hold: Hold | None = None,
    ) -> None:
        last_write = sent_at = time.perf_counter()
        hanging = False
        while not state.ended:
            try:
                event: AMIMessage | None = await asyncio.wait_for(events.get(), TICK_S)
            except TimeoutError:
                event = None
            now = time.perf_counter()
            if event is not None:
                state.on_event(event.event, event)
                if state.agi_commands and line.setup_s is None:
                    line.setup_s = now - started
            if state.in_flight is not None and now - sent_at > self.key_timeout:
                state.in_flight = None
            while state.todo and not hanging:
                reaction = state.todo[0]
                if reaction.key is not None and state.in_flight is not None:
                    break  # the previous key first
                state.todo.popleft()
                if reaction.delay:
                    await asyncio.sleep(reaction.delay)
                step = sim_step(reaction)
                if reaction.say is not None:
                    sound = await self._phrase(reaction.say, state.caller)
                    step = say_step(sound) if sound is not None else "h"
                if step is not None:
                    await self._script(state, step)
                    last_write = sent_at = time.perf_counter()
                if reaction.key is not None:
                    state.key_sent(reaction.key)
                if reaction.hangup:
                    hanging = line.caller_hung_up = True
            if state.result is not None and not hanging:
                line.variables = await self._variables(state)
                queued = line.variables.get("OMNIVOX_ACTION", "").lower() == "queue"
                if hold is not None and queued and state.uniqueid is not None:
                    await self._script(state, ON_HOLD)
                    await hold(state.uniqueid)  # waiting for an agent, or talking to one
                await self._hang_up(state)  # the script is over
                hanging = True
            idle = now - last_write > self.refresh_s and state.in_flight is None
            if idle and not hanging and state.caller_channel is not None:
                await self._script(state, IDLE)
                last_write = now

    async def _phrase(self, phrase: str, caller: Caller) -> str | None:
        """Synthesize ``phrase`` into Asterisk's sounds; its playback name (None: failed,
        and the caller's step says why)."""
        if self.sounds is None:
            caller.speech_failed("say needs Asterisk's sounds directory (the sounds setting)")
            return None
        name = f"sim-say-{secrets.token_hex(6)}"
        try:
            pcm = await asyncio.to_thread(synthesize, phrase, caller.language)
            audio = silence(LEAD_MS) + pcm + silence(LEAD_MS)
            await asyncio.to_thread((self.sounds / f"{name}.sln").write_bytes, audio)
        except (AudioError, OSError) as exc:
            caller.speech_failed(f"cannot synthesize {phrase!r} into {self.sounds}: {exc}")
            return None
        return f"{self.sound_prefix}/{name}" if self.sound_prefix else name

    async def _script(self, state: AsteriskLine, script: str) -> None:
        if state.caller_channel is not None:
            with contextlib.suppress(AMIError):  # the caller half may be gone already
                await self.ami.setvar("SIM_SCRIPT", script, channel=state.caller_channel)

    async def _variables(self, state: AsteriskLine) -> dict[str, str]:
        """What the IVR set on its channel (from the result event where Getvar fails)."""
        result = state.result or {}
        out = {
            "OMNIVOX_STATUS": result.get("Status", ""),
            "OMNIVOX_ACTION": result.get("Action", ""),
            "OMNIVOX_QUEUE": result.get("Queue", ""),
        }
        if state.ivr_channel is not None:
            for name in VARIABLES:
                with contextlib.suppress(AMIError):
                    value = await self.ami.getvar(name, state.ivr_channel)
                    if value:
                        out[name] = value
        return {k: v for k, v in out.items() if v}

    async def _hang_up(self, state: AsteriskLine) -> None:
        for channel in (state.caller_channel, state.ivr_channel):
            if channel is not None:
                with contextlib.suppress(AMIError):
                    await self.ami.hangup(channel)
                return


async def point_agi(ami: AMIClient, address: str) -> str:
    """Send ``omnivox-ivr`` calls to the FastAGI server at ``address``; the previous value."""
    previous = await ami.getvar("OMNIVOX_AGI")
    await ami.setvar("OMNIVOX_AGI", address)
    return previous
