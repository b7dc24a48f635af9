"""The FastAGI handler: one call from Asterisk, through a scenario, into the store."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from customers.exceptions import JourneyConflict
from customers.store import CustomerStore
from ivr.call.lookup import CallerLookup
from ivr.call.outcome import CallRecord, save_calls
from ivr.call.player import AgiPlayer
from ivr.call.writer import CallWriter
from ivr.fastagi import AGIChannel, AGIError, AGIHangup
from ivr.prompts import PromptRenderer
from ivr.scenario import (
    Action,
    Call,
    ChannelSwitch,
    Collect,
    Done,
    Hangup,
    Play,
    PromptDone,
    Scenario,
    ScenarioSet,
    Transfer,
)

if TYPE_CHECKING:
    from ivr.call.speech import SpeechInput

Publish = Callable[[str, Mapping[str, Any]], Awaitable[None]]
Clock = Callable[[], datetime]
NORMAL_CLEARING = 16
STATUS = "OMNIVOX_STATUS"


def utc_now() -> datetime:
    return datetime.now(UTC)


class IvrHandler:
    """Runs each FastAGI call through the scenario named by its path (``agi://h/<name>``).

    The outcome reaches Asterisk as channel variables (the dialplan contract in
    ``asterisk-config/etc/extensions.conf``) and the rest of Omnivox through ``publish``:
    ``ivr.transfer`` (a caller now waits for an agent) and ``ivr.channel_switch``.
    What a call leaves in the store is written by ``writer`` after its last command:
    :meth:`aclose` (after the FastAGI server's) stores what is still queued.
    """

    def __init__(
        self,
        scenarios: ScenarioSet,
        store: CustomerStore,
        renderer: PromptRenderer,
        *,
        lookup: CallerLookup | None = None,
        publish: Publish | None = None,
        clock: Clock = utc_now,
        logger: logging.Logger | None = None,
        speech: SpeechInput | None = None,
        writer: CallWriter | None = None,
    ) -> None:
        self._scenarios = scenarios
        self._store = store
        self._renderer = renderer
        self._lookup = lookup or CallerLookup(store)
        self._publish = publish
        self._clock = clock
        self._log = logger or logging.getLogger("ivr.call")
        self._speech = speech  # None: keys only
        self._writer = writer or CallWriter(
            lambda records: save_calls(store, records, self._log), logger=self._log
        )

    async def aclose(self) -> None:
        """Store the calls still queued; after the FastAGI server closed, nothing is lost."""
        await self._writer.aclose()

    async def __call__(self, channel: AGIChannel) -> None:
        env = channel.env
        scenario = self._scenarios.get(env.script)
        if scenario is None:
            self._log.warning("call %s asked for unknown scenario %r", env.uniqueid, env.script)
            await channel.set_variable(STATUS, "FAILED")
            return
        started = self._clock()
        language = env.query.get("language") or None
        start = await self._lookup.start(scenario, env.callerid, started, language=language)
        customer_id = start.customer.id if start.customer else None
        call = Call(scenario, start.context)
        first_language = call.journey.language
        # The journey row is written while the caller hears the first prompt: the call does
        # not wait for it; whatever needs its id (a transfer, the end) waits for it there.
        # A first-time caller's customer is made with it, so a transfer can name them.
        opening = asyncio.create_task(
            self._open_journey(
                env.uniqueid, scenario, start.phone, customer_id, started, first_language
            )
        )
        view = start.context.customer
        facts = {
            "call_id": env.uniqueid,
            "channel": env.channel,
            "caller": start.phone or env.callerid,
            "journey_id": None,  # set from ``opening`` before anyone is told
            "customer_id": customer_id,
            "vip": bool(view and view.vip),
            "segment": view.segment if view else None,
            "scenario": scenario.name,
        }
        failed = False
        transfer: Transfer | None = None
        callbacks: list[dict[str, Any]] = []  # asked for in this call; queued when it ends
        try:
            transfer = await self._run(call, channel, facts, callbacks, opening)
        except AGIHangup:
            call.hangup(self._clock())
        except BaseException:
            failed = True
            call.hangup(self._clock())
            raise
        finally:
            call_id, journey_id, owner = await asyncio.shield(opening)  # its failure is the call's
            record = CallRecord(
                call_id=call_id,
                journey_id=journey_id,
                scenario=scenario,
                journey=call.journey,
                started_at=started,
                ended_at=self._clock(),
                phone=start.phone,
                customer_id=owner,
                failed=failed,
                created_customer=first_language if owner != customer_id else None,
            )
            # Queued at once, without a turn of the event loop; a server shutting down does
            # not lose the record of a call it cut (the writer keeps it, see submit).
            stored = await self._writer.submit(record)
        if callbacks:  # an agent's phone must not ring while the IVR still talks
            saved = await asyncio.shield(stored)
            for callback in callbacks:
                await self._emit("ivr.channel_switch", callback | {"customer_id": saved or owner})
        # The call's own commands are over: its status now, then the wait for the store
        # (the socket closes after it: Asterisk goes on once the journey is stored).
        await self._status_ok(channel)
        saved = await asyncio.shield(stored)
        if transfer is not None:
            if saved is not None and saved != owner:  # merged meanwhile: the surviving profile
                await self._tell_customer(channel, saved)
            # Told after the journey is stored (and a first-time caller has a profile), so the
            # router's screen-pop reads a complete journey and the right customer.
            await self._emit(
                "ivr.transfer",
                facts
                | {
                    "customer_id": saved if saved is not None else owner,
                    "service": transfer.service,
                    "skills": list(transfer.skills),
                    "priority": transfer.priority,
                    "intent": transfer.intent,
                    "language": transfer.language,
                },
            )

    async def _open_journey(
        self,
        uniqueid: str,
        scenario: Scenario,
        phone: str | None,
        customer_id: int | None,
        started: datetime,
        language: str,
    ) -> tuple[str, int, int | None]:
        """A journey row for this call (a channel that runs the IVR twice gets a second one),
        and the caller's customer: a caller with a number but no profile gets one now."""
        call_id = uniqueid or f"omnivox-{started.timestamp():.6f}"
        for attempt in range(1, 10):
            try:
                journey_id, owner = await self._store.start_call_journey(
                    call_id,
                    scenario.name,
                    scenario_version=scenario.version,
                    caller=phone,
                    customer_id=customer_id,  # linked now: a call cut by a crash still resumes
                    language=language,
                    started_at=started,
                )
                return call_id, journey_id, owner
            except JourneyConflict:
                call_id = f"{uniqueid}#{attempt + 1}"
        raise RuntimeError(f"call {uniqueid}: too many journeys on one channel")

    async def _run(
        self,
        call: Call,
        channel: AGIChannel,
        facts: dict[str, Any],
        callbacks: list[dict[str, Any]],
        opening: asyncio.Task[tuple[str, int, int | None]],
    ) -> Transfer | None:
        """Perform the engine's actions until the call ends; the transfer it ended on, if any.
        A callback the caller asks for goes to ``callbacks``; other switches are told now.
        ``facts`` gets the journey id from ``opening`` before a switch or transfer is told."""
        player = AgiPlayer(channel, self._renderer, self._speech)
        action: Action = call.start(self._clock())
        typed: str | None = None  # a key that interrupted the last prompt
        while True:
            match action:
                case Play():
                    typed = await player.play(action.prompts, action.interruptible_keys)
                    action = call.feed(PromptDone(), self._clock())
                    continue
                case Collect():
                    event = await player.collect(action, typed)
                    action = call.feed(event, self._clock())
                    typed = player.take_typed_ahead()
                    continue
                case ChannelSwitch():
                    _, facts["journey_id"], facts["customer_id"] = await opening
                    switch = facts | {"kind": action.kind, "intent": action.intent}
                    if action.kind == "callback":
                        callbacks.append(switch)
                    else:  # the text is on its way while the caller still listens
                        await self._emit("ivr.channel_switch", switch)
                    action = call.feed(PromptDone(), self._clock())
                case Transfer():
                    _, facts["journey_id"], facts["customer_id"] = await opening
                    await self._transfer(channel, action, facts)
                    return action
                case Hangup():
                    await channel.set_variable("OMNIVOX_ACTION", "hangup")
                    await channel.set_variable("OMNIVOX_HANGUP_CAUSE", NORMAL_CLEARING)
                    return None
                case Done():
                    return None
            typed = None

    async def _transfer(self, channel: AGIChannel, action: Transfer, facts: dict[str, Any]) -> None:
        variables = {
            "OMNIVOX_QUEUE": action.service,
            "OMNIVOX_SKILLS": " ".join(action.skills),  # one word each: no comma in UserEvent
            "OMNIVOX_VIP": "1" if facts.get("vip") else "",
            "OMNIVOX_PRIORITY": action.priority,
            "OMNIVOX_INTENT": action.intent or "",
            "OMNIVOX_LANGUAGE": action.language,
            "OMNIVOX_JOURNEY": facts["journey_id"],
            "OMNIVOX_CUSTOMER": facts["customer_id"] or "",
            "OMNIVOX_ACTION": "queue",  # last: the dialplan acts on it
        }
        for name, value in variables.items():
            await channel.set_variable(name, value)

    async def _status_ok(self, channel: AGIChannel) -> None:
        """What the server sets after the handler (OK), set before the wait for the store."""
        if STATUS in channel.variables_set or not channel.connected:
            return
        try:
            await channel.set_variable(STATUS, "OK")
        except AGIError as exc:  # hung up meanwhile
            self._log.info("call %s: status not set (%s)", channel.env.uniqueid, exc)

    async def _tell_customer(self, channel: AGIChannel, customer_id: int) -> None:
        """The hold context announces the caller with OMNIVOX_CUSTOMER: the id just made."""
        try:
            await channel.set_variable("OMNIVOX_CUSTOMER", customer_id)
        except Exception as exc:  # hung up meanwhile: nobody waits for an agent
            self._log.info("call %s: customer id not set (%s)", channel.env.uniqueid, exc)

    async def _emit(self, topic: str, payload: Mapping[str, Any]) -> None:
        if self._publish is None:
            return
        try:
            await self._publish(topic, payload)
        except Exception:  # a listener's fault must not drop the caller
            self._log.exception("publishing %s for call %s failed", topic, payload.get("call_id"))
