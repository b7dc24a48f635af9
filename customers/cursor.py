"""Opaque timeline cursors: the (occurred_at, id) of the last row of a page, URL-safe."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from customers.exceptions import InvalidCursor


def encode_cursor(occurred_at: datetime, row_id: int) -> str:
    raw = json.dumps([occurred_at.isoformat(), row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position encoded by :func:`encode_cursor`; :class:`InvalidCursor` otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, row_id = json.loads(raw)
        when = datetime.fromisoformat(stamp)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidCursor("before", f"{cursor!r} is not a timeline cursor") from None
    if when.tzinfo is None or isinstance(row_id, bool) or not isinstance(row_id, int):
        raise InvalidCursor("before", f"{cursor!r} is not a timeline cursor")
    return when, row_id
