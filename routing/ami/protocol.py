"""AMI wire format, no I/O: the banner, ``Key: value`` messages ended by a blank line.

Asterisk writes ``\\r\\n`` line ends (a bare ``\\n`` is accepted too). Keys repeat in some
messages (``Output`` of ``Command``, ``Variable`` of ``Originate``), so a message keeps every
field in order and maps each key to its first value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

BANNER_PREFIX = "Asterisk Call Manager/"
_KEY = re.compile(r"^[A-Za-z0-9_-]+$")

FieldValue = str | int | float | bool | None | Iterable[str]


class AMIMessage(dict[str, str]):
    """One AMI message (response or event): a dict of first values plus every field in order."""

    __slots__ = ("fields",)

    def __init__(self, fields: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__()
        self.fields: tuple[tuple[str, str], ...] = tuple(fields)
        for key, value in self.fields:
            self.setdefault(key, value)

    def getall(self, key: str) -> list[str]:
        """Every value of ``key`` (case-insensitive), in order."""
        wanted = key.lower()
        return [value for name, value in self.fields if name.lower() == wanted]

    def get_ci(self, key: str, default: str = "") -> str:
        """The first value of ``key`` compared case-insensitively (Asterisk is not consistent)."""
        values = self.getall(key)
        return values[0] if values else default

    @property
    def event(self) -> str:
        """The ``Event`` name, or "" for a response."""
        return self.get_ci("Event")

    @property
    def response(self) -> str:
        """The ``Response`` value (Success, Error, Goodbye...), or "" for an event."""
        return self.get_ci("Response")

    @property
    def action_id(self) -> str:
        return self.get_ci("ActionID")

    def __repr__(self) -> str:
        return f"AMIMessage({dict(self)!r})"


def parse_banner(line: str) -> str:
    """Return the protocol version from ``Asterisk Call Manager/X.Y.Z``; ValueError otherwise."""
    text = line.strip()
    if not text.startswith(BANNER_PREFIX):
        raise ValueError(f"not an Asterisk Manager banner: {text[:80]!r}")
    return text[len(BANNER_PREFIX) :]


class MessageAssembler:
    """Collect decoded lines into messages: :meth:`push` returns one at each blank line."""

    def __init__(self, max_fields: int = 10_000) -> None:
        self._fields: list[tuple[str, str]] = []
        self._max_fields = max_fields

    def push(self, line: str) -> AMIMessage | None:
        line = line.rstrip("\r\n")
        if not line:
            if not self._fields:
                return None  # stray blank line between messages
            message, self._fields = AMIMessage(self._fields), []
            return message
        if len(self._fields) >= self._max_fields:
            raise ValueError(f"AMI message has more than {self._max_fields} lines")
        key, sep, value = line.partition(":")
        if not sep:
            # Free text (old "Response: Follows" output): kept under the empty key.
            self._fields.append(("", line))
        else:
            self._fields.append((key.strip(), value.lstrip(" ")))
        return None


def decode_line(raw: bytes) -> str:
    """Bytes from the socket to text; caller names need not be UTF-8, so never fail."""
    return raw.decode("utf-8", errors="replace")


def encode_action(name: str, action_id: str, fields: Mapping[str, FieldValue]) -> bytes:
    """Serialise an action; list values repeat the key. ValueError names a field that would
    break the framing (a line break in a value, a bad key)."""
    pairs = [("Action", name), ("ActionID", action_id)]
    for key, value in fields.items():
        if key.lower() in ("action", "actionid"):
            raise ValueError(f"AMI field {key} is set by the client, not by the caller")
        if value is None:
            continue
        if isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        elif isinstance(value, str | int | float):
            pairs.append((key, str(value)))
        else:
            pairs.extend((key, str(item)) for item in value)
    return encode_message(pairs)


def encode_message(pairs: Iterable[tuple[str, str]]) -> bytes:
    """``Key: value`` lines and the blank line; ValueError for a bad key or a line break."""
    lines = []
    for key, value in pairs:
        if not _KEY.match(key):
            raise ValueError(f"AMI field name {key!r} is not a word (letters, digits, - or _)")
        if "\r" in value or "\n" in value:
            raise ValueError(f"AMI field {key} contains a line break: {value[:60]!r}")
        lines.append(f"{key}: {value}\r\n")
    return ("".join(lines) + "\r\n").encode("utf-8")
