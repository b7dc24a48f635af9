"""The builtin driver: the caller as a scripted Asterisk speaking FastAGI to the server over
TCP (:class:`ivr.fastagi.client.FakeCall`); no Asterisk needed.

Each command the server sends is shown to the :class:`~omnivox.simulate.caller.Caller`
(``STREAM FILE`` and ``SAY DIGITS``/``NUMBER`` are heard, ``WAIT FOR DIGIT`` asks) and answered
as Asterisk would for what the caller does. A ``wait`` longer than a question's timeout lets
that question time out, and the caller acts at the next one.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace

from ivr.fastagi.asterisk_side import ReceivedCommand
from ivr.fastagi.client import FakeCall
from omnivox.simulate.caller import Caller, Reaction
from omnivox.simulate.heard import Transcript
from omnivox.simulate.results import Line
from speech.audio import silence
from speech.audiosocket_client import FakeAudioSocketCall, Key, Speech
from speech.audiosocket_client import Step as AudioStep
from speech.exceptions import AudioError
from speech.synthetic import synthesize

Hold = Callable[[str], Awaitable[None]]

PLAYS = ("STREAM FILE", "CONTROL STREAM FILE")
SAYS = ("SAY DIGITS", "SAY NUMBER")
ASK = "WAIT FOR DIGIT"
ENDPOS = 8000
LEAD_MS = 300  # silence before and after a phrase
LISTEN_MAX_S = 60.0  # a speech question that never ends


class BuiltinDriver:
    """Places calls on the FastAGI server at ``host:port``."""

    name = "builtin"

    def __init__(self, host: str, port: int, *, call_timeout: float = 120.0) -> None:
        self.host, self.port = host, port
        self.call_timeout = call_timeout

    async def call(
        self, scenario: str, number: str, caller: Caller, hold: Hold | None = None
    ) -> Line:
        """Run one call until the server hangs up (then ``hold`` if the IVR queued the
        caller); what the line saw."""
        uniqueid = f"sim-{secrets.token_hex(8)}"
        session = _Session(caller)
        fake = FakeCall(
            self.host,
            self.port,
            script=scenario,
            callerid=number,
            uniqueid=uniqueid,
            channel=f"Local/sim-{uniqueid[4:]}@omnivox-ivr;2",
            responder=session.respond,
            gate=session.gate,
        )
        session.fake = fake
        line = Line(uniqueid=uniqueid)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.call_timeout):
                await fake.connect()
                await fake.run()
        except TimeoutError:
            line.error = f"the call did not end within {self.call_timeout:g} s"
        except OSError as exc:
            line.error = f"cannot reach FastAGI at {self.host}:{self.port}: {exc.strerror or exc}"
        finally:
            await fake.close()
        line.seconds = time.perf_counter() - started
        line.setup_s = session.first_command - started if session.first_command else None
        line.variables = dict(fake.variables)
        line.turnaround = list(fake.turnaround)
        line.caller_hung_up = fake.hung_up
        queued = line.variables.get("OMNIVOX_ACTION", "").lower() == "queue"
        if hold is not None and queued and line.error is None:
            await hold(uniqueid)
        return line


class _Session:
    """One call's link between the fake Asterisk and the caller."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller
        self.transcript: Transcript = caller.transcript
        self.fake: FakeCall | None = None
        self.first_command = 0.0
        self._carry: Reaction | None = None  # what the caller still means to do
        self._reply: str | None = None

    async def gate(self, cmd: ReceivedCommand) -> None:
        """Runs before each reply: the caller hears or is asked, maybe waits, then acts."""
        if not self.first_command:
            self.first_command = time.perf_counter()
        self._reply = None
        assert self.fake is not None
        if cmd.name == "EXEC" and cmd.args and cmd.args[0].lower() == "audiosocket":
            await self._speech_question(cmd)
            return
        if self.fake.hung_up or cmd.name not in (*PLAYS, *SAYS, ASK):
            return
        args = cmd.args
        escape = args[1] if len(args) > 1 else ""
        if cmd.name in PLAYS:
            self.transcript.sound(args[0] if args else "")
        elif cmd.name in SAYS:
            self.transcript.digits(args[0] if args else "")
        if self._carry is None:
            if cmd.name == ASK:
                self._carry = self.caller.asked()
            else:
                said = args[0] if cmd.name == "SAY DIGITS" and args else None
                self._carry = self.caller.heard(escape, said)
        await self._act(cmd, escape)

    async def _act(self, cmd: ReceivedCommand, escape: str) -> None:
        assert self.fake is not None and self._carry is not None
        todo = self._carry
        asking = cmd.name == ASK
        if todo.delay > 0:
            timeout = _timeout_s(cmd) if asking else None
            if timeout is not None and todo.delay > timeout:
                await asyncio.sleep(timeout)  # the question times out while the caller waits
                self._carry = replace(todo, delay=todo.delay - timeout)
                self._reply = "200 result=0"
                return
            await asyncio.sleep(todo.delay)
            todo = replace(todo, delay=0.0)
        self._carry = None
        if todo.hangup:
            self.fake.hangup_at = len(self.fake.commands) - 1  # a HANGUP line before the reply
        elif todo.key is not None and (asking or todo.key in escape):
            self._reply = f"200 result={ord(todo.key)}" + ("" if asking else _endpos(cmd))
        elif todo.key is not None:
            self._carry = todo  # a prompt that cannot be interrupted: press at the next chance
        if self._reply is None:
            self._reply = "200 result=0" + ("" if asking else _endpos(cmd))

    async def _speech_question(self, cmd: ReceivedCommand) -> None:
        """``AudioSocket(<uuid>,<host:port>)``: connect there as Asterisk would and speak (or
        press keys, or stay silent) while the IVR listens; the EXEC returns once it closes."""
        assert self.fake is not None
        todo = self.caller.listened()
        if todo.delay:
            await asyncio.sleep(todo.delay)
        if todo.hangup:
            self.fake.hangup_at = len(self.fake.commands) - 1
            return
        call_id, _, address = (cmd.args[1] if len(cmd.args) > 1 else "").partition(",")
        host, _, port = address.rpartition(":")
        script: list[AudioStep] = [Speech(silence(LEAD_MS))]
        if todo.say is not None:
            try:
                pcm = await asyncio.to_thread(synthesize, todo.say, self.caller.language)
            except AudioError as exc:
                self.caller.speech_failed(f"cannot synthesize {todo.say!r}: {exc}")
                self.fake.hangup_at = len(self.fake.commands) - 1
                return
            script += [Speech(pcm), Speech(silence(LEAD_MS))]
        script += [Key(k) for k in todo.keys]
        try:
            stream = FakeAudioSocketCall(host.strip("[]"), int(port), uuid.UUID(call_id))
            await stream.run(script, realtime=True, keep_streaming_s=LISTEN_MAX_S)
        except (OSError, ValueError) as exc:
            self.caller.speech_failed(f"cannot stream audio to AudioSocket {address}: {exc}")
            self._reply = "200 result=-1"
            return
        self._reply = "200 result=0"

    def respond(self, cmd: ReceivedCommand) -> str | None:
        """The reply the gate chose (None: the scripted Asterisk's default)."""
        reply, self._reply = self._reply, None
        return reply


def _timeout_s(cmd: ReceivedCommand) -> float | None:
    try:
        ms = int(cmd.args[0])
    except (IndexError, ValueError):
        return None
    return ms / 1000 if ms >= 0 else None


def _endpos(cmd: ReceivedCommand) -> str:
    return f" endpos={ENDPOS}" if cmd.name in PLAYS else ""
