"""FastAGI wire format, server side: environment, command encoding, reply parsing. No I/O.

Facts from Asterisk's ``res/res_agi.c``: arguments are split by ``parse_args`` (spaces separate,
double quotes group, a backslash makes the next character literal); a command line is read
into a 2,048-byte buffer, so a longer line would be cut and its tail run as a second command.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from ivr.fastagi.errors import AGIProtocolError

MAX_COMMAND_BYTES = 2047  # Asterisk's AGI_BUF_LEN (2048) less the terminating NUL
HANGUP_LINE = "HANGUP"
_UNKNOWN = ("", "unknown")


@dataclass(frozen=True, slots=True)
class AGIEnvironment:
    """The ``agi_*`` block Asterisk sends when a call connects."""

    script: str  # path of agi_network_script, no leading slash, no query string
    query: dict[str, str]
    args: list[str]
    callerid: str | None
    calleridname: str | None
    channel: str
    uniqueid: str
    language: str
    context: str
    extension: str
    priority: str
    raw: dict[str, str] = field(repr=False)


def parse_env_line(line: str) -> tuple[str, str]:
    """Split one ``agi_key: value`` line; raise AGIProtocolError on anything else."""
    key, sep, value = line.partition(":")
    if not sep or not key.startswith("agi_") or not key.replace("_", "").isalnum():
        raise AGIProtocolError(f"not an AGI environment line: {line[:80]!r}")
    return key, value.strip()


def parse_environment(lines: Iterable[str]) -> AGIEnvironment:
    """Build an AGIEnvironment from the environment lines (the blank line may be included)."""
    raw: dict[str, str] = {}
    for line in lines:
        if not line.strip():
            break
        key, value = parse_env_line(line.rstrip("\r\n"))
        raw[key] = value
    return environment_from_raw(raw)


def environment_from_raw(raw: dict[str, str]) -> AGIEnvironment:
    """Interpret the raw ``agi_*`` mapping."""
    target = raw.get("agi_network_script") or _path_of_request(raw.get("agi_request", ""))
    path, _, query = target.partition("?")
    arg_keys = sorted(
        (k for k in raw if k.startswith("agi_arg_") and k[8:].isdigit()), key=lambda k: int(k[8:])
    )
    return AGIEnvironment(
        script=path.strip("/"),
        query=dict(parse_qsl(query, keep_blank_values=True)),
        args=[raw[k] for k in arg_keys],
        callerid=_known(raw.get("agi_callerid")),
        calleridname=_known(raw.get("agi_calleridname")),
        channel=raw.get("agi_channel", ""),
        uniqueid=raw.get("agi_uniqueid", ""),
        language=raw.get("agi_language", ""),
        context=raw.get("agi_context", ""),
        extension=raw.get("agi_extension", ""),
        priority=raw.get("agi_priority", ""),
        raw=dict(raw),
    )


def _path_of_request(request: str) -> str:
    if "://" not in request:
        return ""
    rest = request.split("://", 1)[1]
    return rest.partition("/")[2]


def _known(value: str | None) -> str | None:
    return None if value is None or value.strip().lower() in _UNKNOWN else value


def escape_arg(value: str) -> str:
    """Quote one argument so Asterisk's ``parse_args`` sees exactly this one argument.

    Backslash and double quote get a backslash. CR and LF become ``\\r`` and ``\\n`` (Asterisk
    reads them back as the letters ``r`` and ``n``: the protocol cannot carry a line break, and
    a raw one would start a second command). NUL, which would end the C string, is dropped.
    """
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\r", "\\r")
        .replace("\n", "\\n")
        .replace("\0", "")
    )
    return f'"{escaped}"'


def encode_command(name: str, *args: object) -> bytes:
    """Encode one command line. Trailing None arguments are left out; a None before a value,
    a name that is not plain words, or a line longer than Asterisk reads is a ValueError."""
    if not re.fullmatch(r"[A-Za-z]+( [A-Za-z]+)*", name):
        raise ValueError(f"AGI command name must be plain words, got {name!r}")
    values = list(args)
    while values and values[-1] is None:
        values.pop()
    if any(v is None for v in values):
        raise ValueError(f"{name}: a None argument can only be left out at the end: {args!r}")
    parts = [name, *(_encode_value(v) for v in values)]
    line = (" ".join(parts) + "\n").encode("utf-8")
    if len(line) > MAX_COMMAND_BYTES:
        raise ValueError(
            f"{name}: command line is {len(line)} bytes, Asterisk reads at most {MAX_COMMAND_BYTES}"
        )
    return line


def _encode_value(value: object) -> str:
    if isinstance(value, bool):
        raise ValueError("AGI arguments are text or numbers, not booleans")
    if isinstance(value, int):
        return str(value)
    return escape_arg(str(value))


@dataclass(frozen=True, slots=True)
class Reply:
    """One reply from Asterisk."""

    code: int
    result: int | None = None  # the number after result=, None when absent or not a number
    result_text: str = ""  # the token after result= as sent (GET DATA returns digits, maybe "")
    data: str | None = None  # the parenthesised part, e.g. the value of GET VARIABLE
    extras: dict[str, str] = field(default_factory=dict)  # endpos=1234 and the like
    lines: tuple[str, ...] = ()
    timeout: bool = False  # GET DATA ended by its timeout: "(timeout)"

    @property
    def text(self) -> str:
        """The reply as Asterisk wrote it (all lines for a multi-line 520)."""
        return "\n".join(self.lines)


_RESULT = re.compile(r"result=(\S*)(?: \((.*)\))?((?: [A-Za-z_]+=\S*)*)\s*$")
_REPLY_CODE = re.compile(r"(\d{3})([ -]|$)")


def parse_reply_line(line: str) -> Reply:
    """Parse a single-line reply such as ``200 result=1 (value)`` or ``510 Invalid...``."""
    match = _REPLY_CODE.match(line)
    if not match:
        raise AGIProtocolError(f"not an AGI reply: {line[:80]!r}")
    code = int(match.group(1))
    rest = line[match.end() :]
    if code != 200:
        return Reply(code=code, lines=(line,))
    found = _RESULT.match(rest)
    if not found:
        return Reply(code=code, lines=(line,))
    token, data, tail = found.group(1), found.group(2), found.group(3)
    extras = dict(pair.split("=", 1) for pair in tail.split())
    return Reply(
        code=code,
        result=int(token) if re.fullmatch(r"-?\d+", token) else None,
        result_text=token,
        data=data,
        extras=extras,
        lines=(line,),
        timeout=data == "timeout",
    )


class ReplyReader:
    """Incremental reply parser: feed it lines, it returns a Reply once one is complete.

    A bare ``HANGUP`` line is Asterisk's out-of-band hang-up notice, not a reply: it sets
    :attr:`hangup_seen` and reading goes on. A ``520-`` line starts a usage block that ends at
    the next ``520 `` line; the whole block is one Reply.
    """

    def __init__(self) -> None:
        self.hangup_seen = False
        self._usage: list[str] | None = None

    @property
    def in_progress(self) -> bool:
        """True while inside a multi-line 520 block."""
        return self._usage is not None

    def feed(self, line: str) -> Reply | None:
        """Take one line (line ending optional); return the completed Reply or None."""
        line = line.rstrip("\r\n")
        if self._usage is not None:
            self._usage.append(line)
            if line.startswith("520 "):
                lines, self._usage = tuple(self._usage), None
                return Reply(code=520, lines=lines)
            return None
        if line.strip() == HANGUP_LINE:
            self.hangup_seen = True
            return None
        if not line.strip():
            return None
        if line.startswith("520-"):
            self._usage = [line]
            return None
        return parse_reply_line(line)
