"""AudioSocket wire format (Asterisk's app_audiosocket / res_audiosocket). Pure.

A frame is a kind byte, a big-endian 16-bit payload length, and the payload. Checked against
Asterisk 22's ``include/asterisk/res_audiosocket.h`` and ``res/res_audiosocket.c``:

* Asterisk -> server: ``0x01`` UUID (16 raw bytes, always first), ``0x10`` audio (slin, 8 kHz,
  mono, 16-bit little-endian, usually 320 bytes = 20 ms), ``0x03`` DTMF (one ASCII digit),
  ``0xff`` error (optional code byte). Asterisk ends a stream by closing the socket.
* server -> Asterisk: ``0x10`` audio (played to the caller; a zero length is an error there)
  and ``0x00`` hang-up. A hang-up frame or a close makes ``AudioSocket()`` return 0 (the
  dialplan, or the AGI that ran it, continues); any other kind makes it fail with -1.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from enum import IntEnum

from speech.exceptions import AudioSocketProtocolError

HEADER_BYTES = 3
MAX_PAYLOAD = 0xFFFF
DTMF_DIGITS = frozenset("0123456789*#ABCD")
ERROR_CODES = {0x01: "caller hung up", 0x02: "frame forwarding error", 0x04: "memory error"}
_HEADER = struct.Struct(">BH")


class Kind(IntEnum):
    """Frame kinds the dialplan application uses."""

    HANGUP = 0x00
    UUID = 0x01
    DTMF = 0x03
    AUDIO = 0x10
    ERROR = 0xFF


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame."""

    kind: Kind
    payload: bytes = b""

    @property
    def uuid(self) -> uuid.UUID:
        """The payload of a UUID frame."""
        return uuid.UUID(bytes=self.payload)

    @property
    def digit(self) -> str:
        """The payload of a DTMF frame."""
        return self.payload.decode("ascii")

    @property
    def error(self) -> str:
        """The payload of an error frame, described."""
        if not self.payload:
            return "error (no code)"
        code = self.payload[0]
        return f"error 0x{code:02x} ({ERROR_CODES.get(code, 'unknown code')})"


def encode(kind: Kind, payload: bytes = b"") -> bytes:
    """One frame's bytes."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"AudioSocket payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    return _HEADER.pack(int(kind), len(payload)) + payload


def encode_uuid(value: uuid.UUID | str) -> bytes:
    """The UUID frame Asterisk sends first."""
    return encode(Kind.UUID, (value if isinstance(value, uuid.UUID) else uuid.UUID(value)).bytes)


def encode_audio(pcm: bytes) -> bytes:
    """An audio frame (slin 8 kHz)."""
    if not pcm or len(pcm) % 2:
        raise ValueError("audio payload must be a non-empty whole number of 16-bit samples")
    return encode(Kind.AUDIO, pcm)


def encode_dtmf(digit: str) -> bytes:
    """A DTMF frame."""
    if digit not in DTMF_DIGITS:
        raise ValueError(f"not a DTMF digit: {digit!r}")
    return encode(Kind.DTMF, digit.encode("ascii"))


def encode_hangup() -> bytes:
    """The hang-up frame that ends ``AudioSocket()`` normally."""
    return encode(Kind.HANGUP)


def parse_header(header: bytes, max_payload: int = MAX_PAYLOAD) -> tuple[Kind, int]:
    """Kind and payload length from a 3-byte header; AudioSocketProtocolError if unusable."""
    if len(header) != HEADER_BYTES:
        raise AudioSocketProtocolError(f"header of {len(header)} bytes, expected 3")
    code, length = _HEADER.unpack(header)
    try:
        kind = Kind(code)
    except ValueError:
        raise AudioSocketProtocolError(
            f"unsupported frame kind 0x{code:02x} (length {length}); app_audiosocket sends "
            "0x01 UUID, 0x03 DTMF, 0x10 slin 8 kHz audio and 0xff error"
        ) from None
    if length > max_payload:
        raise AudioSocketProtocolError(
            f"{kind.name} frame of {length} bytes exceeds the {max_payload}-byte limit"
        )
    return kind, length


def check_payload(kind: Kind, payload: bytes) -> Frame:
    """Validate a payload for its kind; AudioSocketProtocolError if it does not fit."""
    if kind is Kind.UUID and len(payload) != 16:
        raise AudioSocketProtocolError(f"UUID frame of {len(payload)} bytes, expected 16")
    if kind is Kind.DTMF and (len(payload) != 1 or chr(payload[0]) not in DTMF_DIGITS):
        raise AudioSocketProtocolError(f"DTMF frame with payload {payload[:8]!r}")
    if kind is Kind.AUDIO and (not payload or len(payload) % 2):
        raise AudioSocketProtocolError(f"audio frame of {len(payload)} bytes (16-bit samples)")
    if kind is Kind.HANGUP and payload:
        raise AudioSocketProtocolError(f"hang-up frame with a {len(payload)}-byte payload")
    return Frame(kind, payload)


class FrameDecoder:
    """Incremental decoder: feed bytes as they arrive, get whole frames back."""

    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self.max_payload = max_payload
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        """Bytes held back as an incomplete frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Frame]:
        """Frames completed by ``data``; raises AudioSocketProtocolError on a bad frame."""
        self._buffer += data
        out: list[Frame] = []
        while len(self._buffer) >= HEADER_BYTES:
            kind, length = parse_header(bytes(self._buffer[:HEADER_BYTES]), self.max_payload)
            end = HEADER_BYTES + length
            if len(self._buffer) < end:
                break
            out.append(check_payload(kind, bytes(self._buffer[HEADER_BYTES:end])))
            del self._buffer[:end]
        return out
