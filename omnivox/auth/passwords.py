"""Password hashing with scrypt: a random salt per password, the cost parameters in the string.

A hash reads ``scrypt$<n>$<r>$<p>$<salt b64>$<key b64>`` so the cost can be raised later
without invalidating stored passwords (:func:`needs_rehash` says which ones to upgrade at the
next sign-in). Verification compares in constant time and never raises on a malformed hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

SCHEME = "scrypt"
SALT_BYTES = 16
KEY_BYTES = 32
MAX_PASSWORD_BYTES = 1024  # a sign-in form is not a way to make the server hash megabytes


@dataclass(frozen=True, slots=True)
class Cost:
    """scrypt's parameters: CPU/memory cost ``n`` (a power of two), block size, parallelism."""

    n: int = 2**15
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        if self.n < 2 or self.n & (self.n - 1):
            raise ValueError(f"scrypt n must be a power of two >= 2, got {self.n}")
        if not 1 <= self.r <= 64 or not 1 <= self.p <= 16:
            raise ValueError(f"scrypt r must be 1..64 and p 1..16, got r={self.r} p={self.p}")

    @property
    def maxmem(self) -> int:
        return 256 * self.n * self.r * self.p + 1024 * 1024  # 128*n*r*p plus headroom


DEFAULT_COST = Cost()


class PasswordError(ValueError):
    """A password that cannot be hashed (empty, too long, not text)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _encode(password: str) -> bytes:
    if not isinstance(password, str) or not password:
        raise PasswordError("password: expected non-empty text")
    data = password.encode("utf-8")
    if len(data) > MAX_PASSWORD_BYTES:
        raise PasswordError(f"password: longer than {MAX_PASSWORD_BYTES} bytes")
    return data


def _derive(password: bytes, salt: bytes, cost: Cost, length: int) -> bytes:
    return hashlib.scrypt(
        password, salt=salt, n=cost.n, r=cost.r, p=cost.p, maxmem=cost.maxmem, dklen=length
    )


def hash_password(password: str, cost: Cost = DEFAULT_COST) -> str:
    """A new hash string for ``password`` with a fresh random salt (blocking: ~0.1 s)."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(_encode(password), salt, cost, KEY_BYTES)
    return f"{SCHEME}${cost.n}${cost.r}${cost.p}${_b64(salt)}${_b64(key)}"


def parse_hash(encoded: str) -> tuple[Cost, bytes, bytes] | None:
    """``(cost, salt, key)`` of a hash string, or ``None`` if it is not one of ours."""
    parts = encoded.split("$") if isinstance(encoded, str) else []
    if len(parts) != 6 or parts[0] != SCHEME:
        return None
    try:
        cost = Cost(int(parts[1]), int(parts[2]), int(parts[3]))
        salt, key = _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        return None
    if cost.n > 2**20 or not salt or len(key) < 16:  # refuse a stored hash that would DoS us
        return None
    return cost, salt, key


def verify_password(password: str, encoded: str | None) -> bool:
    """Whether ``password`` matches ``encoded``; ``False`` for a missing or malformed hash.

    Blocking (run it in a thread). When there is no usable hash the same work is still done,
    so a wrong login takes as long as a wrong password.
    """
    parsed = parse_hash(encoded) if encoded else None
    try:
        data = _encode(password)
    except PasswordError:
        data = b""
    if parsed is None:
        _derive(data or b"-", b"\0" * SALT_BYTES, DEFAULT_COST, KEY_BYTES)
        return False
    cost, salt, key = parsed
    candidate = _derive(data or b"-", salt, cost, len(key))
    return hmac.compare_digest(candidate, key) and bool(data)


def needs_rehash(encoded: str, cost: Cost = DEFAULT_COST) -> bool:
    """Whether a stored hash uses weaker (or unreadable) parameters than ``cost``."""
    parsed = parse_hash(encoded)
    return parsed is None or (parsed[0].n, parsed[0].r, parsed[0].p) < (cost.n, cost.r, cost.p)
