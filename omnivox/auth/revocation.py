"""Logged-out tokens, remembered until they would have expired anyway.

:class:`MemoryRevocations` serves one process; :class:`RedisRevocations` shares the set between
instances (one key per token with the token's remaining lifetime as TTL).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol


class Revocations(Protocol):
    async def revoke(self, token_id: str, expires_at: float) -> None: ...

    async def is_revoked(self, token_id: str) -> bool: ...


class MemoryRevocations:
    """In-process revocation set; expired entries are dropped as new ones come in."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._until: dict[str, float] = {}
        self._clock = clock

    async def revoke(self, token_id: str, expires_at: float) -> None:
        now = self._clock()
        self._until = {t: exp for t, exp in self._until.items() if exp > now}
        if expires_at > now:
            self._until[token_id] = expires_at

    async def is_revoked(self, token_id: str) -> bool:
        expires_at = self._until.get(token_id)
        return expires_at is not None and expires_at > self._clock()


class RedisRevocations:
    """Revocations in Redis under ``<prefix>revoked:<token id>``, expiring with the token."""

    def __init__(
        self, redis: Any, *, prefix: str = "omnivox:", clock: Callable[[], float] = time.time
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._clock = clock

    def _key(self, token_id: str) -> str:
        return f"{self._prefix}revoked:{token_id}"

    async def revoke(self, token_id: str, expires_at: float) -> None:
        ttl = int(expires_at - self._clock()) + 1
        if ttl > 0:
            await self._redis.set(self._key(token_id), b"1", ex=ttl)

    async def is_revoked(self, token_id: str) -> bool:
        return bool(await self._redis.exists(self._key(token_id)))
