"""A fake Asterisk: the Asterisk side of FastAGI over a real TCP socket.

For tests, the load benchmark and ``omnivox simulate``::

    async with FakeCall(host, port, script="telecom?x=1", callerid="+15551234567",
                        digits="1") as call:
        await call.run()            # answers commands until the server closes the socket
    call.commands                   # [ReceivedCommand(name="ANSWER", args=(), ...), ...]
    call.variables                  # channel variables, including those the server set

or ``call = await run_call(host, port, digits="1")``, which does both.

Digits: the caller "presses" ``digits`` in order. A prompt with escape digits (STREAM FILE,
GET OPTION) is interrupted when the next digit is one of them; WAIT FOR DIGIT takes the next
digit; GET DATA takes digits up to ``#`` or its maximum. A ``.`` in the script is a silence:
the next WAIT FOR DIGIT or GET DATA times out. With no digits left, input times out too.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType

from ivr.fastagi.asterisk_side import (
    DEAD_CHANNEL_COMMANDS,
    DEAD_REPLY,
    UNKNOWN_REPLY,
    ReceivedCommand,
    asterisk_environment,
    parse_command_line,
    render_environment,
)

Responder = Callable[[ReceivedCommand], str | list[str] | None]
Gate = Callable[[ReceivedCommand], Awaitable[None]]
CommandPoint = int | str | None  # a command index (0-based) or the first command with that name


class ScriptedAsterisk:
    """Answers commands like Asterisk would for a caller pressing ``digits``. No I/O."""

    def __init__(self, digits: str = "", variables: dict[str, str] | None = None) -> None:
        self.digits = deque(digits)
        self.variables: dict[str, str] = dict(variables or {})
        self.endpos = 1234

    def __call__(self, cmd: ReceivedCommand) -> str:
        args = cmd.args
        if cmd.name in ("STREAM FILE", "GET OPTION", "CONTROL STREAM FILE"):
            escape = args[1] if len(args) > 1 else ""
            if self.digits and self.digits[0] != "." and self.digits[0] in escape:
                return f"200 result={ord(self.digits.popleft())} endpos={self.endpos}"
            return f"200 result=0 endpos={self.endpos}"
        if cmd.name == "WAIT FOR DIGIT":
            digit = self.digits.popleft() if self.digits else "."
            return "200 result=0" if digit == "." else f"200 result={ord(digit)}"
        if cmd.name == "GET DATA":
            return self._get_data(int(args[2]) if len(args) > 2 and args[2].isdigit() else 0)
        if cmd.name in ("GET VARIABLE", "GET FULL VARIABLE") and args:
            name = args[0].removeprefix("${").removesuffix("}")
            value = self.variables.get(name)
            return "200 result=0" if value is None else f"200 result=1 ({value})"
        if cmd.name == "SET VARIABLE" and len(args) >= 2:
            self.variables[args[0]] = args[1]
            return "200 result=1"
        if cmd.name == "RECORD FILE":
            return "200 result=0 (timeout) endpos=8000"
        if cmd.name == "HANGUP":
            return "200 result=1"
        return "200 result=0" if cmd.name else UNKNOWN_REPLY

    def _get_data(self, max_digits: int) -> str:
        got = ""
        while self.digits and (max_digits <= 0 or len(got) < max_digits):
            digit = self.digits.popleft()
            if digit == "#":
                return f"200 result={got}"
            if digit == ".":
                break
            got += digit
        if max_digits > 0 and len(got) == max_digits:
            return f"200 result={got}"
        return f"200 result={got} (timeout)"


class FakeCall:
    """One call from a fake Asterisk to a FastAGI server."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        script: str = "omnivox",
        callerid: str | None = "+15551234567",
        calleridname: str | None = None,
        digits: str = "",
        variables: dict[str, str] | None = None,
        uniqueid: str | None = None,
        channel: str | None = None,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        responder: Responder | None = None,
        gate: Gate | None = None,
        hangup_at: CommandPoint = None,
        close_at: CommandPoint = None,
    ) -> None:
        """``env`` overrides/extends the generated environment; ``responder`` may answer a
        command (str or list of lines) or return None to leave it to the digit script;
        ``gate`` is awaited before each reply; at ``hangup_at`` the caller hangs up (a
        ``HANGUP`` line precedes the reply, the channel is dead from then on); at
        ``close_at`` the socket is closed instead of replying."""
        self.host, self.port = host, port
        tag = secrets.token_hex(4)
        self.env = asterisk_environment(
            script=script,
            host=host,
            callerid=callerid,
            calleridname=calleridname,
            uniqueid=uniqueid or f"{int(time.time())}.{int(tag, 16) % 100000}",
            channel=channel or f"PJSIP/caller-{tag}",
            args=args,
        )
        self.env.update(env or {})
        self.scripted = ScriptedAsterisk(digits, variables)
        self.responder = responder
        self.gate = gate
        self.hangup_at = hangup_at
        self.close_at = close_at
        self.commands: list[ReceivedCommand] = []
        self.hung_up = False
        self.closed_by_server = False
        self.turnaround: list[float] = []  # seconds from each reply sent to the next command
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    @property
    def variables(self) -> dict[str, str]:
        """Channel variables as the fake Asterisk holds them (SET VARIABLE lands here)."""
        return self.scripted.variables

    @property
    def names(self) -> list[str]:
        """The names of the commands received, in order."""
        return [c.name or c.line for c in self.commands]

    async def connect(self, raw_env: bytes | None = None) -> None:
        """Open the connection and send the environment (or ``raw_env`` bytes as they are)."""
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self._writer.write(raw_env if raw_env is not None else render_environment(self.env))
        await self._writer.drain()

    async def run(self) -> list[ReceivedCommand]:
        """Answer commands until the server closes the connection; return the commands."""
        assert self._reader is not None and self._writer is not None, "connect() first"
        replied_at: float | None = None
        while True:
            try:
                line = await self._reader.readline()
            except ConnectionError:
                line = b""
            if not line:
                self.closed_by_server = True
                break
            if replied_at is not None:
                self.turnaround.append(time.perf_counter() - replied_at)
            cmd = parse_command_line(line.decode("utf-8", errors="replace"))
            index = len(self.commands)
            self.commands.append(cmd)
            if _at(self.close_at, index, cmd):
                break
            if self.gate is not None:
                await self.gate(cmd)
            out = []
            if not self.hung_up and _at(self.hangup_at, index, cmd):
                self.hung_up = True
                out.append("HANGUP")
            out.extend(self._reply(cmd))
            self._writer.write("".join(f"{x}\n" for x in out).encode("utf-8"))
            try:
                await self._writer.drain()
            except ConnectionError:
                self.closed_by_server = True
                break
            replied_at = time.perf_counter()
        await self.close()
        return self.commands

    def _reply(self, cmd: ReceivedCommand) -> list[str]:
        if self.hung_up and cmd.name and cmd.name not in DEAD_CHANNEL_COMMANDS:
            return [DEAD_REPLY]
        answer = self.responder(cmd) if self.responder is not None else None
        if answer is None:
            answer = self.scripted(cmd)
        return [answer] if isinstance(answer, str) else list(answer)

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError):
                await self._writer.wait_closed()
            self._writer = None

    async def __aenter__(self) -> FakeCall:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _at(point: CommandPoint, index: int, cmd: ReceivedCommand) -> bool:
    return point == index if isinstance(point, int) else point is not None and point == cmd.name


def presses_on_hearing(key: str) -> Responder:
    """A caller who listens to the menu until it says ``key`` and presses it right then
    (prompts before it play out uninterrupted); later commands follow the digit script."""
    pressed = False

    def respond(cmd: ReceivedCommand) -> str | None:
        nonlocal pressed
        if pressed:
            return None
        if cmd.name == "SAY DIGITS" and cmd.args and cmd.args[0] == key:
            pressed = True
            return f"200 result={ord(key)}"
        if cmd.name in ("STREAM FILE", "SAY DIGITS"):
            return "200 result=0 endpos=8000"
        return None

    return respond


async def run_call(host: str, port: int, **options: object) -> FakeCall:
    """Connect, answer every command until the server hangs up, and return the finished call."""
    call = FakeCall(host, port, **options)  # type: ignore[arg-type]
    await call.connect()
    await call.run()
    return call
