"""One FastAGI call: send commands, read replies, typed helpers for the common commands."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from ivr.fastagi.errors import (
    AGICommandError,
    AGIDeadChannel,
    AGIError,
    AGIHangup,
    AGIProtocolError,
    AGITimeout,
)
from ivr.fastagi.protocol import AGIEnvironment, Reply, ReplyReader, encode_command

CommandHook = Callable[[str, float], None]
# Commands that last as long as a prompt or the caller's typing; EXEC (Dial, Queue...) can last
# a whole conversation and has no default limit.
MEDIA_COMMANDS = frozenset(
    {
        "CONTROL STREAM FILE",
        "GET DATA",
        "GET OPTION",
        "RECORD FILE",
        "SAY ALPHA",
        "SAY DATE",
        "SAY DATETIME",
        "SAY DIGITS",
        "SAY NUMBER",
        "SAY PHONETIC",
        "SAY TIME",
        "SPEECH RECOGNIZE",
        "STREAM FILE",
        "WAIT FOR DIGIT",
    }
)


async def read_line(reader: asyncio.StreamReader) -> str:
    """Read one ``\\n``-terminated line, decoded leniently (caller names need not be UTF-8).

    EOF raises AGIHangup; a line over the reader's limit raises AGIProtocolError.
    """
    try:
        data = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError:
        raise AGIHangup("connection closed by Asterisk") from None
    except asyncio.LimitOverrunError as exc:
        raise AGIProtocolError(f"line longer than {exc.consumed} bytes without an end") from None
    except ConnectionError as exc:
        raise AGIHangup(f"connection lost: {exc}") from None
    return data.decode("utf-8", errors="replace")


class AGIChannel:
    """The server's side of one call. Commands run one at a time, each under a timeout."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        env: AGIEnvironment,
        *,
        command_timeout: float | None = 10.0,
        media_timeout: float | None = 600.0,
        on_command: CommandHook | None = None,
    ) -> None:
        self.env = env
        self._reader = reader
        self._writer = writer
        self._command_timeout = command_timeout
        self._media_timeout = media_timeout
        self._on_command = on_command
        self._replies = ReplyReader()
        self._lock = asyncio.Lock()
        self._dead = False  # Asterisk answered 511
        self._broken: str | None = None  # why the connection can no longer carry commands
        self.variables_set: dict[str, str] = {}  # what SET VARIABLE set successfully, in order

    @property
    def hung_up(self) -> bool:
        """True once Asterisk sent a HANGUP line or refused a command on a dead channel."""
        return self._replies.hangup_seen or self._dead

    @property
    def connected(self) -> bool:
        """True while commands can still be sent (no EOF, timeout or protocol error yet)."""
        return self._broken is None

    def _timeout_for(self, name: str) -> float | None:
        if name == "EXEC":
            return None
        return self._media_timeout if name in MEDIA_COMMANDS else self._command_timeout

    # A timeout here is more than a cancel scope: it also retires the desynchronised link.
    async def command(
        self,
        name: str,
        *args: object,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> Reply:
        """Send one command and return its 200 reply.

        Raises AGICommandError (510/520), AGIDeadChannel (511), AGIHangup (connection gone),
        AGITimeout (no reply within ``timeout`` or the default; the connection is then unusable)
        and AGIProtocolError (not a FastAGI reply; also unusable). A command cancelled before
        its reply arrived leaves the link unusable as well: the next reply would be this one's.
        """
        name = name.upper()
        line = encode_command(name, *args)
        limit = timeout if timeout is not None else self._timeout_for(name)
        async with self._lock:
            if self._broken is not None:
                raise AGIHangup(f"{name}: {self._broken}")
            started = time.perf_counter()
            try:
                async with asyncio.timeout(limit):
                    self._writer.write(line)
                    await self._writer.drain()
                    reply = await self._read_reply()
            except TimeoutError:
                self._broken = f"no reply to {name} within {limit} s"
                raise AGITimeout(self._broken) from None
            except ConnectionError as exc:
                self._broken = f"connection lost: {exc}"
                raise AGIHangup(f"{name}: {self._broken}") from None
            except AGIError as exc:
                self._broken = str(exc)
                raise
            except asyncio.CancelledError:
                self._broken = f"{name} was cancelled before its reply arrived"
                raise
            if self._on_command is not None:
                self._on_command(name, time.perf_counter() - started)
        self._check(name, reply)
        if name == "SET VARIABLE" and len(args) >= 2:
            self.variables_set[str(args[0])] = str(args[1])
        return reply

    async def _read_reply(self) -> Reply:
        while True:
            reply = self._replies.feed(await read_line(self._reader))
            if reply is not None:
                return reply

    def _check(self, name: str, reply: Reply) -> None:
        if reply.code == 200:
            return
        if reply.code == 511:
            self._dead = True
            raise AGIDeadChannel(f"{name}: 511, not permitted on a dead (hung-up) channel")
        if reply.code in (510, 520):
            raise AGICommandError(f"{name}: {reply.lines[0]}", code=reply.code, command=name)
        self._broken = f"unexpected reply to {name}: {reply.text[:80]!r}"
        raise AGIProtocolError(self._broken)

    def _digit(self, reply: Reply, what: str, *, minus_one_is_hangup: bool) -> str | None:
        if reply.result is None:
            raise AGIProtocolError(f"{what}: reply without a numeric result: {reply.text!r}")
        if reply.result < 0:
            if minus_one_is_hangup or self.hung_up:
                raise AGIHangup(f"{what}: channel hung up")
            raise AGICommandError(f"{what} failed (sound file missing?)", command=what)
        return chr(reply.result) if reply.result > 0 else None

    async def answer(self) -> None:
        """Answer the channel."""
        reply = await self.command("ANSWER")
        if reply.result == -1:
            raise AGIHangup("ANSWER: channel hung up")

    async def stream_file(
        self, name: str, escape_digits: str = "", offset: int | None = None
    ) -> str | None:
        """Play a sound file (no extension); return the escape digit pressed, or None."""
        reply = await self.command("STREAM FILE", name, escape_digits, offset)
        await self._tell_hangup_from_failure(reply, f"STREAM FILE {name}")
        return self._digit(reply, f"STREAM FILE {name}", minus_one_is_hangup=False)

    async def _tell_hangup_from_failure(self, reply: Reply, what: str) -> None:
        """``result=-1`` means a missing file *or* a hang-up mid-playback, and the HANGUP line
        may come after the reply: ask Asterisk (511 on a dead channel) before blaming the file."""
        if reply.result is None or reply.result >= 0:
            return
        if not self.hung_up:
            await self.command("CHANNEL STATUS")  # raises AGIDeadChannel if the caller is gone
        if self.hung_up:
            raise AGIHangup(f"{what}: channel hung up")

    async def say_digits(self, digits: str, escape_digits: str = "") -> str | None:
        """Speak ``digits`` one by one in the channel's language; return an escape key or None."""
        reply = await self.command("SAY DIGITS", digits, escape_digits)
        return self._digit(reply, "SAY DIGITS", minus_one_is_hangup=True)

    async def say_number(self, number: int, escape_digits: str = "") -> str | None:
        """Speak ``number`` as a number in the channel's language; return an escape key or None."""
        reply = await self.command("SAY NUMBER", number, escape_digits)
        return self._digit(reply, "SAY NUMBER", minus_one_is_hangup=True)

    async def get_option(
        self, name: str, escape_digits: str = "", timeout_ms: int | None = None
    ) -> str | None:
        """Play a file, then wait up to ``timeout_ms`` for one of ``escape_digits``."""
        reply = await self.command("GET OPTION", name, escape_digits, timeout_ms)
        await self._tell_hangup_from_failure(reply, f"GET OPTION {name}")
        return self._digit(reply, f"GET OPTION {name}", minus_one_is_hangup=False)

    async def get_data(
        self, prompt: str, timeout_ms: int | None = None, max_digits: int | None = None
    ) -> tuple[str, bool]:
        """Play ``prompt`` and collect digits; return (digits, timed_out)."""
        if timeout_ms is None and max_digits is not None:
            timeout_ms = 0  # Asterisk's "use the default"
        reply = await self.command("GET DATA", prompt, timeout_ms, max_digits)
        if reply.result == -1:
            raise AGIHangup(f"GET DATA {prompt}: channel hung up")
        return reply.result_text, reply.timeout

    async def wait_for_digit(self, timeout_ms: int = -1) -> str | None:
        """Wait for one DTMF digit (-1 waits forever); None on timeout."""
        reply = await self.command("WAIT FOR DIGIT", timeout_ms)
        return self._digit(reply, "WAIT FOR DIGIT", minus_one_is_hangup=True)

    async def get_variable(self, name: str) -> str | None:
        """A channel variable or function value; None when unset."""
        reply = await self.command("GET VARIABLE", name)
        return (reply.data or "") if reply.result == 1 else None

    async def get_full_variable(self, expression: str) -> str | None:
        """Evaluate an expression such as ``${CALLERID(num)}``; None when unset."""
        reply = await self.command("GET FULL VARIABLE", expression)
        return (reply.data or "") if reply.result == 1 else None

    async def set_variable(self, name: str, value: object) -> None:
        """Set a channel variable (works on a hung-up channel too)."""
        await self.command("SET VARIABLE", name, str(value))

    async def exec(
        self,
        app: str,
        *args: str,
        timeout: float | None = None,  # noqa: ASYNC109 - see command()
    ) -> int:
        """Run a dialplan application; its args are joined with commas. Returns its result."""
        reply = await self.command("EXEC", app, ",".join(args) if args else None, timeout=timeout)
        if reply.result == -2:
            raise AGICommandError(f"EXEC {app}: no such application", command="EXEC")
        return reply.result if reply.result is not None else 0

    async def verbose(self, message: str, level: int = 1) -> None:
        """Write a message to Asterisk's console/log."""
        await self.command("VERBOSE", message, level)

    async def noop(self) -> None:
        """Do nothing (a cheap liveness probe)."""
        await self.command("NOOP")

    async def hangup(self) -> None:
        """Hang the channel up; Asterisk then sends a HANGUP line."""
        await self.command("HANGUP")

    async def record_file(
        self,
        name: str,
        fmt: str = "wav",
        escape_digits: str = "#",
        timeout_ms: int = -1,
        *,
        beep: bool = False,
        silence_s: int | None = None,
    ) -> Reply:
        """Record to ``name.fmt``; the reply's ``data`` says why it stopped, ``extras`` endpos."""
        extra = [*(["BEEP"] if beep else []), *([f"s={silence_s}"] if silence_s else [])]
        reply = await self.command("RECORD FILE", name, fmt, escape_digits, timeout_ms, *extra)
        if reply.result == -1:
            raise AGIHangup(f"RECORD FILE {name}: channel hung up or file not writable")
        return reply
