"""Where pops wait for the browser's acknowledgement, and which agent each contact went to.

:class:`MemoryPopStore` serves one process; :class:`RedisPopStore` is shared by every instance:
``<prefix>pending:<agent>`` (hash pop id -> JSON, expiring), ``<prefix>last:<agent>`` (the
agent's current pop, for a page reload) and ``<prefix>contact:<call id>`` (who the contact was
offered to and about which customer, for the wrap-up and the links from the pop).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

PENDING_TTL_S = 3600  # a pop nobody acknowledged in an hour is about a call long over
CONTACT_TTL_S = 86_400
MAX_PENDING = 100  # per agent; beyond this the oldest are dropped


class PopStore(Protocol):
    async def record(
        self, agent_id: int, pop: dict[str, Any], contact: dict[str, Any] | None
    ) -> None:
        """Pending + the agent's last pop + the contact record, in one go."""
        ...

    async def add_pending(self, agent_id: int, pop: dict[str, Any]) -> None: ...

    async def remove_pending(self, agent_id: int, pop_id: str) -> bool: ...

    async def pending(self, agent_id: int) -> list[dict[str, Any]]: ...

    async def set_last(self, agent_id: int, pop: dict[str, Any]) -> None: ...

    async def last(self, agent_id: int) -> dict[str, Any] | None: ...

    async def put_contact(self, call_id: str, contact: dict[str, Any]) -> None: ...

    async def contact(self, call_id: str) -> dict[str, Any] | None: ...


def _by_seq(pops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(pops, key=lambda p: (p.get("seq", 0), p.get("id", "")))


class MemoryPopStore:
    """In-process: lost on restart, seen only by this process's websockets."""

    def __init__(self, *, max_pending: int = MAX_PENDING) -> None:
        self._pending: dict[int, dict[str, dict[str, Any]]] = {}
        self._last: dict[int, dict[str, Any]] = {}
        self._contacts: dict[str, dict[str, Any]] = {}
        self._max = max_pending

    async def record(
        self, agent_id: int, pop: dict[str, Any], contact: dict[str, Any] | None
    ) -> None:
        await self.add_pending(agent_id, pop)
        await self.set_last(agent_id, pop)
        if contact is not None:
            await self.put_contact(str(contact["call_id"]), contact)

    async def add_pending(self, agent_id: int, pop: dict[str, Any]) -> None:
        box = self._pending.setdefault(agent_id, {})
        box[pop["id"]] = pop
        for old in _by_seq(list(box.values()))[: max(0, len(box) - self._max)]:
            box.pop(old["id"], None)

    async def remove_pending(self, agent_id: int, pop_id: str) -> bool:
        return self._pending.get(agent_id, {}).pop(pop_id, None) is not None

    async def pending(self, agent_id: int) -> list[dict[str, Any]]:
        return _by_seq(list(self._pending.get(agent_id, {}).values()))

    async def set_last(self, agent_id: int, pop: dict[str, Any]) -> None:
        self._last[agent_id] = pop

    async def last(self, agent_id: int) -> dict[str, Any] | None:
        return self._last.get(agent_id)

    async def put_contact(self, call_id: str, contact: dict[str, Any]) -> None:
        if len(self._contacts) > 100_000:  # a long-running demo must not grow for ever
            self._contacts.pop(next(iter(self._contacts)))
        self._contacts[call_id] = dict(contact)

    async def contact(self, call_id: str) -> dict[str, Any] | None:
        found = self._contacts.get(call_id)
        return None if found is None else dict(found)


class RedisPopStore:
    """Shared by every instance through one Redis (``redis.asyncio`` client)."""

    def __init__(
        self,
        redis: Any,
        *,
        prefix: str = "omnivox:desktop:",
        pending_ttl_s: int = PENDING_TTL_S,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = pending_ttl_s
        self._max = max_pending

    def _key(self, kind: str, name: object) -> str:
        return f"{self._prefix}{kind}:{name}"

    async def record(
        self, agent_id: int, pop: dict[str, Any], contact: dict[str, Any] | None
    ) -> None:
        key, text = self._key("pending", agent_id), json.dumps(pop)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key("last", agent_id), text, ex=CONTACT_TTL_S)
            if contact is not None:
                pipe.set(
                    self._key("contact", contact["call_id"]), json.dumps(contact), ex=CONTACT_TTL_S
                )
            pipe.hset(key, pop["id"], text)
            pipe.expire(key, self._ttl)
            pipe.hlen(key)
            *_, size = await pipe.execute()
        await self._trim(agent_id, size)

    async def add_pending(self, agent_id: int, pop: dict[str, Any]) -> None:
        key = self._key("pending", agent_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, pop["id"], json.dumps(pop))
            pipe.expire(key, self._ttl)
            pipe.hlen(key)
            *_, size = await pipe.execute()
        await self._trim(agent_id, size)

    async def _trim(self, agent_id: int, size: int) -> None:
        key = self._key("pending", agent_id)
        if size > self._max:
            oldest = (await self.pending(agent_id))[: size - self._max]
            if oldest:
                await self._redis.hdel(key, *[p["id"] for p in oldest])

    async def remove_pending(self, agent_id: int, pop_id: str) -> bool:
        return bool(await self._redis.hdel(self._key("pending", agent_id), pop_id))

    async def pending(self, agent_id: int) -> list[dict[str, Any]]:
        raw = await self._redis.hvals(self._key("pending", agent_id))
        return _by_seq([json.loads(item) for item in raw])

    async def set_last(self, agent_id: int, pop: dict[str, Any]) -> None:
        await self._redis.set(self._key("last", agent_id), json.dumps(pop), ex=CONTACT_TTL_S)

    async def last(self, agent_id: int) -> dict[str, Any] | None:
        raw = await self._redis.get(self._key("last", agent_id))
        return None if raw is None else json.loads(raw)

    async def put_contact(self, call_id: str, contact: dict[str, Any]) -> None:
        await self._redis.set(self._key("contact", call_id), json.dumps(contact), ex=CONTACT_TTL_S)

    async def contact(self, call_id: str) -> dict[str, Any] | None:
        raw = await self._redis.get(self._key("contact", call_id))
        return None if raw is None else json.loads(raw)
