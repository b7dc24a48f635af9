"""FastAGI wire format, Asterisk side: what the fake Asterisk needs. No I/O.

:func:`split_args` follows ``parse_args`` in Asterisk's ``res/res_agi.c`` and
:func:`match_command` its ``find_command``, so the fake reads our commands as Asterisk does.
"""

from __future__ import annotations

from dataclasses import dataclass

# Commands res_agi registers (Asterisk 22), the multi-word ones matched word by word.
AGI_COMMANDS: tuple[str, ...] = (
    "ANSWER",
    "ASYNCAGI BREAK",
    "CHANNEL STATUS",
    "CONTROL STREAM FILE",
    "DATABASE DEL",
    "DATABASE DELTREE",
    "DATABASE GET",
    "DATABASE PUT",
    "EXEC",
    "GET DATA",
    "GET FULL VARIABLE",
    "GET OPTION",
    "GET VARIABLE",
    "GOSUB",
    "HANGUP",
    "NOOP",
    "RECEIVE CHAR",
    "RECEIVE TEXT",
    "RECORD FILE",
    "SAY ALPHA",
    "SAY DATE",
    "SAY DATETIME",
    "SAY DIGITS",
    "SAY NUMBER",
    "SAY PHONETIC",
    "SAY TIME",
    "SEND IMAGE",
    "SEND TEXT",
    "SET AUTOHANGUP",
    "SET CALLERID",
    "SET CONTEXT",
    "SET EXTENSION",
    "SET MUSIC",
    "SET PRIORITY",
    "SET VARIABLE",
    "SPEECH ACTIVATE GRAMMAR",
    "SPEECH CREATE",
    "SPEECH DEACTIVATE GRAMMAR",
    "SPEECH DESTROY",
    "SPEECH LOAD GRAMMAR",
    "SPEECH RECOGNIZE",
    "SPEECH SET",
    "SPEECH UNLOAD GRAMMAR",
    "STREAM FILE",
    "TDD MODE",
    "VERBOSE",
    "WAIT FOR DIGIT",
)
# What Asterisk still runs once the channel is dead (the ``dead`` flag in res_agi.c).
DEAD_CHANNEL_COMMANDS = frozenset(
    {
        "ASYNCAGI BREAK",
        "DATABASE DEL",
        "DATABASE DELTREE",
        "DATABASE GET",
        "DATABASE PUT",
        "EXEC",
        "GET FULL VARIABLE",
        "GET VARIABLE",
        "NOOP",
        "SET VARIABLE",
        "SPEECH DESTROY",
        "SPEECH UNLOAD GRAMMAR",
        "VERBOSE",
    }
)
_BY_WORDS = sorted((c.split() for c in AGI_COMMANDS), key=len, reverse=True)

UNKNOWN_REPLY = "510 Invalid or unknown command"
DEAD_REPLY = "511 Command Not Permitted on a dead channel or intercept routine"


@dataclass(frozen=True, slots=True)
class ReceivedCommand:
    """One command line as Asterisk understands it."""

    name: str  # canonical upper-case name, "" when unknown
    args: tuple[str, ...]  # the arguments after the name, unescaped
    line: str  # the raw line, without its line ending


def split_args(line: str) -> list[str]:
    """Split a command line into words exactly as Asterisk's ``parse_args`` does."""
    words: list[str] = []
    current: list[str] | None = None
    quoted = escaped = False
    for ch in line:
        if ch == '"' and not escaped:
            quoted = not quoted
            if current is None:
                current = []
            continue
        if ch in " \t" and not quoted and not escaped:
            if current is not None:
                words.append("".join(current))
                current = None
            continue
        if ch == "\\" and not escaped:
            escaped = True
            continue
        if current is None:
            current = []
        current.append(ch)
        escaped = False
    if current is not None:
        words.append("".join(current))
    return words


def match_command(words: list[str]) -> tuple[str, list[str]]:
    """Return (canonical name, remaining args); the name is "" when no command matches."""
    upper = [w.upper() for w in words]
    for candidate in _BY_WORDS:
        if upper[: len(candidate)] == candidate:
            return " ".join(candidate), words[len(candidate) :]
    return "", words


def parse_command_line(line: str) -> ReceivedCommand:
    """Parse one line the server sent."""
    line = line.rstrip("\r\n")
    name, args = match_command(split_args(line))
    return ReceivedCommand(name=name, args=tuple(args), line=line)


def render_environment(env: dict[str, str]) -> bytes:
    """Encode an environment block: ``key: value`` lines and the closing blank line."""
    return "".join(f"{k}: {v}\n" for k, v in env.items()).encode("utf-8") + b"\n"


def asterisk_environment(
    *,
    script: str,
    host: str = "127.0.0.1",
    callerid: str | None = None,
    calleridname: str | None = None,
    uniqueid: str = "1700000000.1",
    channel: str = "PJSIP/caller-00000001",
    language: str = "en",
    context: str = "ivr",
    extension: str = "s",
    priority: int = 1,
    args: tuple[str, ...] = (),
) -> dict[str, str]:
    """The environment Asterisk 22 sends for ``AGI(agi://host/script,args...)``."""
    env = {
        "agi_network": "yes",
        "agi_network_script": script,
        "agi_request": f"agi://{host}/{script}",
        "agi_channel": channel,
        "agi_language": language,
        "agi_type": channel.split("/", 1)[0],
        "agi_uniqueid": uniqueid,
        "agi_version": "22.10.1",
        "agi_callerid": callerid or "unknown",
        "agi_calleridname": calleridname or "unknown",
        "agi_callingpres": "0",
        "agi_callingani2": "0",
        "agi_callington": "0",
        "agi_callingtns": "0",
        "agi_dnid": "unknown",
        "agi_rdnis": "unknown",
        "agi_context": context,
        "agi_extension": extension,
        "agi_priority": str(priority),
        "agi_enhanced": "0.0",
        "agi_accountcode": "",
        "agi_threadid": "140000000000000",
    }
    env.update({f"agi_arg_{i}": a for i, a in enumerate(args, start=1)})
    return env
