"""Logged-out tokens, remembered until they would have expired anyway, and agents whose role or
team changed (when), so sessions issued before the change are read afresh from the store.

:class:`MemoryRevocations` serves one process; :class:`RedisRevocations` shares both between
instances (one key per token, one per changed agent, each with a TTL: the tokens' lifetime).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol


class Revocations(Protocol):
    async def revoke(self, token_id: str, expires_at: float) -> None: ...

    async def is_revoked(self, token_id: str) -> bool: ...

    async def mark_changed(self, agent_id: int, at: float, until: float) -> None:
        """Agent ``agent_id`` changed at ``at``; remember it until ``until``."""

    async def check(self, token_id: str, agent_id: int) -> tuple[bool, float | None]:
        """(whether the token is revoked, when its agent last changed or None): one read."""


class MemoryRevocations:
    """In-process revocation set; expired entries are dropped as new ones come in."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._until: dict[str, float] = {}
        self._changed: dict[int, tuple[float, float]] = {}  # agent -> (changed at, kept until)
        self._clock = clock

    async def revoke(self, token_id: str, expires_at: float) -> None:
        now = self._clock()
        self._until = {t: exp for t, exp in self._until.items() if exp > now}
        if expires_at > now:
            self._until[token_id] = expires_at

    async def is_revoked(self, token_id: str) -> bool:
        expires_at = self._until.get(token_id)
        return expires_at is not None and expires_at > self._clock()

    async def mark_changed(self, agent_id: int, at: float, until: float) -> None:
        now = self._clock()
        self._changed = {a: v for a, v in self._changed.items() if v[1] > now}
        self._changed[agent_id] = (at, until)

    async def check(self, token_id: str, agent_id: int) -> tuple[bool, float | None]:
        changed = self._changed.get(agent_id)
        live = changed is not None and changed[1] > self._clock()
        return await self.is_revoked(token_id), changed[0] if live and changed else None


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

    def _changed_key(self, agent_id: int) -> str:
        return f"{self._prefix}agent-changed:{agent_id}"

    async def mark_changed(self, agent_id: int, at: float, until: float) -> None:
        ttl = int(until - self._clock()) + 1
        if ttl > 0:
            await self._redis.set(self._changed_key(agent_id), repr(at).encode(), ex=ttl)

    async def check(self, token_id: str, agent_id: int) -> tuple[bool, float | None]:
        revoked, changed = await self._redis.mget(self._key(token_id), self._changed_key(agent_id))
        return revoked is not None, None if changed is None else float(changed)
