"""What the router did with each call, kept for ``GET /api/calls/{call_id}/routing``.

:func:`listener` plugs into ``omnivox.bus.EventBus`` and keeps every ``routing.*`` event of
a contact (queued, offered, missed, answered, abandoned, ended) under its call id (the IVR
channel's uniqueid). :class:`MemoryCallLog` serves one process; :class:`RedisCallLog`
(``<prefix><call id>``, a list of JSON events, expiring) is shared by every instance, so any
instance answers for a call another one routed. :func:`summary` turns the events into the
routing decision (pure).
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

CALL_TTL_S = 86_400
MAX_EVENTS = 50  # per call; a contact that rings out many times keeps its last ones
MAX_CALLS = 20_000  # in memory
TOPICS = (
    "routing.queued",
    "routing.offered",
    "routing.missed",
    "routing.answered",
    "routing.abandoned",
    "routing.ended",
)
ENDED = ("routing.abandoned", "routing.ended")
_KEPT = ("service", "agent", "agent_id", "wait_s", "outcome", "priority", "intent", "phase")

Listener = Callable[[str, dict[str, Any]], Awaitable[None]]


class CallLog(Protocol):
    async def add(self, call_id: str, event: dict[str, Any]) -> None: ...

    async def events(self, call_id: str) -> list[dict[str, Any]]: ...


class MemoryCallLog:
    """In-process, the last :data:`MAX_CALLS` calls."""

    def __init__(self, *, max_calls: int = MAX_CALLS) -> None:
        self._calls: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self._max = max_calls

    async def add(self, call_id: str, event: dict[str, Any]) -> None:
        events = self._calls.setdefault(call_id, [])
        events.append(dict(event))
        del events[:-MAX_EVENTS]
        while len(self._calls) > self._max:
            self._calls.popitem(last=False)

    async def events(self, call_id: str) -> list[dict[str, Any]]:
        return [dict(e) for e in self._calls.get(call_id, [])]


class RedisCallLog:
    """Shared through one Redis (``redis.asyncio`` client, bytes or str replies)."""

    def __init__(self, redis: Any, *, prefix: str = "omnivox:calls:", ttl_s: int = CALL_TTL_S):
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl_s

    async def add(self, call_id: str, event: dict[str, Any]) -> None:
        key = f"{self._prefix}{call_id}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, json.dumps(event))
            pipe.ltrim(key, -MAX_EVENTS, -1)
            pipe.expire(key, self._ttl)
            await pipe.execute()

    async def events(self, call_id: str) -> list[dict[str, Any]]:
        raw = await self._redis.lrange(f"{self._prefix}{call_id}", 0, -1)
        return [json.loads(item) for item in raw]


def event_of(topic: str, payload: Mapping[str, Any], at: float) -> dict[str, Any]:
    """What is kept of one bus event: the topic, when, and the routing facts (the offer's
    decision, ``why``, and the IVR facts the pop was built from, in full)."""
    kept = {k: payload[k] for k in _KEPT if payload.get(k) is not None}
    if topic == "routing.offered":
        kept |= {"why": payload.get("why"), "facts": payload.get("facts") or {}}
    return {"topic": topic, "at": round(at, 3)} | kept


def listener(log: CallLog, *, clock: Callable[[], float] = time.time) -> Listener:
    """The bus listener recording each call's routing events in ``log``."""

    async def listen(topic: str, payload: dict[str, Any]) -> None:
        call_id = str(payload.get("id") or "")
        if topic in TOPICS and call_id:
            await log.add(call_id, event_of(topic, payload, clock()))

    return listen


def summary(events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The routing decision of one call from its events (oldest first)."""
    out: dict[str, Any] = {
        "state": "unknown",
        "queued": False,
        "service": None,
        "offers": 0,
        "agent_id": None,
        "answered": False,
        "ended": None,
        "wait_s": None,
        "why": None,
    }
    for event in events:
        topic = event["topic"]
        if event.get("service"):
            out["service"] = event["service"]
        match topic:
            case "routing.queued":
                out["queued"] = True
                out["state"] = "waiting"
            case "routing.offered":
                out["queued"] = True
                out["offers"] += 1
                out["state"] = "offered"
                out["agent_id"] = event.get("agent")
                out["why"] = event.get("why")
            case "routing.missed":
                out["state"] = "waiting"
            case "routing.answered":
                out["answered"] = True
                out["state"] = "answered"
                out["agent_id"] = event.get("agent_id") or out["agent_id"]
            case "routing.abandoned" | "routing.ended":
                out["ended"] = event.get("outcome") or topic.removeprefix("routing.")
                out["state"] = out["ended"]
                out["wait_s"] = event.get("wait_s")
    return out


def last_offer(events: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The event of the offer that popped last (the one the agent who got it saw)."""
    offers = [e for e in events if e["topic"] == "routing.offered"]
    return offers[-1] if offers else None


def open_log(redis: Any, *, prefix: str = "omnivox:calls:") -> CallLog:
    """The log shared through ``redis`` (a ``redis.asyncio`` client), or in process (None)."""
    return RedisCallLog(redis, prefix=prefix) if redis is not None else MemoryCallLog()
