"""Resume tokens and the text that carries them (pure: no I/O; the randomness is passed in).

A token is 32 random bytes, URL-safe: unguessable, so it needs no signature. The store keeps
only its SHA-256, so a copy of the database gives no working link; a token altered by one
character matches nothing. Expiry and single use are the stored row's ``expires_at`` and
``used_at``, judged by :func:`token_state`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Literal

TOKEN_BYTES = 32
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # what token_urlsafe(32) gives
State = Literal["ok", "expired", "used"]


def new_token(random: Callable[[int], str] = secrets.token_urlsafe) -> tuple[str, str]:
    """A fresh token and the digest to store."""
    token = random(TOKEN_BYTES)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: str) -> bool:
    """Worth a database lookup: anything else is unknown without asking."""
    return bool(TOKEN_SHAPE.match(token))


def token_state(expires_at: datetime, used_at: datetime | None, now: datetime) -> State:
    if used_at is not None:
        return "used"
    return "ok" if now < expires_at else "expired"


def continue_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/continue/{token}"


def sms_text(topic: str | None, link: str) -> str:
    """The message: what the request was about and the link to continue it in chat."""
    about = f" about {topic}" if topic else ""
    return f"Continue your request{about} in chat: {link}"
