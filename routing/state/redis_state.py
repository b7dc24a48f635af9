"""The shared routing state in Redis: several router instances on one Redis never
double-assign, because every transition is one Lua script (see :mod:`routing.state.lua`).

Nothing is cached between calls except decoded contact data (which never changes for a
contact id), so a new instance on the same Redis and prefix sees exactly what the last one
left: restarting the process loses nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from routing.core.model import Agent, AgentState, Contact, Service
from routing.state.base import RoutingState, agent_set_state
from routing.state.codec import (
    agent_data,
    check_agent,
    check_contact,
    check_meta,
    contact_data,
    contact_from_member,
    decode_affinity,
    decode_agent,
    decode_contact,
    fmt,
    pairs,
    queue_score,
    services_json,
    text,
)
from routing.state.lane import ScriptLane, sha1
from routing.state.lua import PRELUDE, SCRIPTS
from routing.state.model import (
    AGENT_SET_STATES,
    Affinity,
    AgentView,
    ContactView,
    Heads,
    NotFound,
    Removed,
    StaleVersion,
    StateError,
    TransitionError,
)
from routing.state.redis_levels import RedisLevels
from routing.state.redis_offers import NoConfig, RedisOffers, fields_json

DEFAULT_PREFIX = "omnivox:routing:"
_ERRORS: dict[str, type[StateError]] = {
    "NOTFOUND": NotFound,
    "CONFLICT": TransitionError,
    "STALE": StaleVersion,
    "NOCFG": NoConfig,
}


class RedisState(RedisLevels, RedisOffers, RoutingState):
    """:class:`RoutingState` in Redis under ``prefix`` (shared by every instance)."""

    def __init__(
        self,
        client: aioredis.Redis,
        services: Mapping[str, Service],
        *,
        prefix: str = DEFAULT_PREFIX,
        clock: Callable[[], float] = time.time,
        owns_client: bool = False,
        contact_cache: int = 50_000,
        lane: ScriptLane | None = None,
    ) -> None:
        self.client = client
        self.services = dict(services)
        self.prefix = prefix
        self.clock = clock
        self._owns_client = owns_client
        self._scripts = {
            name: client.register_script(PRELUDE + body) for name, body in SCRIPTS.items()
        }
        self._lane = lane  # owned: closed by close()
        self._bodies = {
            name: (PRELUDE + body, sha1(PRELUDE + body)) for name, body in SCRIPTS.items()
        }
        self._cache: dict[str, Contact] = {}  # waiting-list member -> contact
        self._cache_max = contact_cache

    @classmethod
    def from_url(
        cls,
        url: str,
        services: Mapping[str, Service],
        max_connections: int = 32,
        *,
        lane: bool = True,
        **kwargs: Any,
    ) -> RedisState:
        """A store with its own client (closed by :meth:`close`); callers beyond
        ``max_connections`` wait for a connection instead of failing. ``lane``: run the
        scripts over a :class:`ScriptLane` (plain ``redis://`` URLs only)."""
        pool = aioredis.BlockingConnectionPool.from_url(
            url, decode_responses=True, max_connections=max_connections, timeout=10
        )
        fast = ScriptLane.from_url(url) if lane and url.startswith("redis://") else None
        return cls(aioredis.Redis.from_pool(pool), services, owns_client=True, lane=fast, **kwargs)

    async def close(self) -> None:
        if self._lane is not None:
            await self._lane.close()
        if self._owns_client:
            await self.client.aclose()

    # --- internals ------------------------------------------------------------------------

    async def _run(self, name: str, *args: str) -> Any:
        try:
            if self._lane is not None:
                body, sha = self._bodies[name]
                return await self._lane.script(body, sha, (self.prefix, *args))
            return await self._scripts[name](keys=[], args=[self.prefix, *args])
        except ResponseError as exc:
            message = str(exc)
            code, _, rest = message.partition(" ")
            error = _ERRORS.get(code)
            if error is None:
                raise
            raise error(rest) from None

    async def _command(self, *args: str) -> Any:
        if self._lane is not None:
            return await self._lane.execute(*args)
        return await self.client.execute_command(*args)

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    async def _hashes(self, keys: Sequence[str]) -> list[dict[str, str]]:
        if not keys:
            return []
        async with self.client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hgetall(key)
            return [pairs(r) for r in await pipe.execute()]

    def _contact(self, member: str) -> Contact:
        """Decode a waiting-list member, reusing earlier decodings (members never change)."""
        contact = self._cache.get(member)
        if contact is None:
            if len(self._cache) >= self._cache_max:
                self._cache.clear()
            contact = self._cache[member] = contact_from_member(member)
        return contact

    def _view(self, contact_id: str, fields: Mapping[str, str]) -> ContactView:
        return decode_contact(contact_id, fields, self._contact)

    # --- agents ---------------------------------------------------------------------------

    async def put_agent(self, agent: Agent) -> AgentView:
        check_agent(agent, self.services)
        if agent.state not in AGENT_SET_STATES and await self.get_agent(agent.id) is None:
            raise StateError(f"agent {agent.id}: a new agent cannot start {agent.state.value}")
        reason = agent.not_ready_reason or ""
        raw = await self._run(
            "put_agent",
            fmt(self.clock()),
            agent.id,
            agent_data(agent),
            services_json(agent.services),
            agent.state.value if agent.state in AGENT_SET_STATES else AgentState.OFFLINE.value,
            reason,
        )
        return decode_agent(agent.id, fields_json(raw))

    async def remove_agent(self, agent_id: str) -> None:
        await self._run("remove_agent", agent_id)

    async def set_agent_state(
        self,
        agent_id: str,
        state: AgentState | str,
        reason: str | None = None,
        *,
        expect_version: int | None = None,
    ) -> AgentView:
        wanted = agent_set_state(state)
        raw = await self._run(
            "set_state",
            fmt(self.clock()),
            agent_id,
            wanted.value,
            reason or "",
            "" if expect_version is None else str(expect_version),
        )
        return decode_agent(agent_id, fields_json(raw))

    async def agent_ready(
        self, agent_id: str, k: int, *, expect_version: int | None = None
    ) -> tuple[AgentView, Heads]:
        if k < 1:
            raise StateError("k must be at least 1")
        raw = await self._run(
            "ready_heads",
            fmt(self.clock()),
            agent_id,
            str(k - 1),
            "" if expect_version is None else str(expect_version),
        )
        fields, lists, flat_affinity = raw
        view = decode_agent(agent_id, fields_json(fields))
        return view, self._heads(sorted(view.agent.services), lists, flat_affinity)

    async def set_presence(self, agent_id: str, reachable: bool) -> AgentView:
        raw = await self._run("set_presence", agent_id, "1" if reachable else "0")
        return decode_agent(agent_id, fields_json(raw))

    async def get_agent(self, agent_id: str) -> AgentView | None:
        fields = pairs(await self.client.hgetall(self._key("a", agent_id)))
        return decode_agent(agent_id, fields) if fields else None

    async def _agents_in(self, set_key: str) -> list[AgentView]:
        ids = sorted(text(x) for x in await self.client.smembers(set_key))
        rows = await self._hashes([self._key("a", a) for a in ids])
        return [decode_agent(a, f) for a, f in zip(ids, rows, strict=True) if f]

    async def agents(self) -> list[AgentView]:
        return await self._agents_in(self._key("agents"))

    async def agents_at(self, endpoint: str) -> list[AgentView]:
        return await self._agents_in(self._key("ep", endpoint))

    async def ready_agents(self, service: str | None = None) -> list[Agent]:
        key = self._key("ready") if service is None else self._key("ready", service)
        views = await self._agents_in(key)
        # A view read after a concurrent change may no longer be offerable: leave it out.
        return [
            v.agent
            for v in views
            if v.state is AgentState.READY and v.reachable and v.contact_id is None
        ]

    # --- contacts -------------------------------------------------------------------------

    async def enqueue(self, contact: Contact, meta: Mapping[str, Any] | None = None) -> ContactView:
        service = check_contact(contact, self.services)
        extra = check_meta(meta)
        data, rejected = contact_data(contact), json.dumps(sorted(contact.excluded))
        customer = contact.customer_id or ""
        await self._run(
            "enqueue",
            contact.id,
            data,
            fmt(queue_score(contact, service)),
            rejected,
            json.dumps([contact.service]),
            contact.service,
            customer,
            fmt(service.wrap_up_s),
            *self._level_args(service, contact.entered_at),
            *[x for kv in extra.items() for x in kv],
        )
        # the view the script wrote, built here (a lighter reply): what get_contact reads
        member = f"{contact.id}\n{customer}\n{rejected}\n{data}"
        meta_back = {k: json.loads(v) for k, v in extra.items()}
        return ContactView(self._contact(member), "waiting", (contact.service,), meta=meta_back)

    async def list_under(self, contact_id: str, service: str) -> ContactView:
        if service not in self.services:
            raise StateError(f"unknown service {service!r}")
        raw = await self._run("list_under", contact_id, service)
        return self._view(contact_id, fields_json(raw))

    async def update_meta(self, contact_id: str, meta: Mapping[str, Any]) -> ContactView:
        extra = check_meta(meta)
        raw = await self._run("update_meta", contact_id, *[x for kv in extra.items() for x in kv])
        return self._view(contact_id, fields_json(raw))

    async def remove_contact(self, contact_id: str) -> Removed | None:
        now = self.clock()
        raw = await self._run("remove_contact", fmt(now), contact_id)
        if raw is None:
            return None
        seq, outcome, agent_state, fields = raw
        view = self._view(contact_id, fields_json(fields))
        state = text(agent_state)
        return Removed(
            view=view,
            outcome="ended" if text(outcome) == "ended" else "abandoned",
            agent_id=view.agent_id,
            agent_state=AgentState(state) if state else None,
            removed_at=now,
            seq=int(seq),
        )

    async def _read_contacts(self, ids: Sequence[str]) -> list[ContactView]:
        views: list[ContactView] = []
        for start in range(0, len(ids), 500):  # short scripts: Redis serves others between
            chunk = ids[start : start + 500]
            rows = json.loads(await self._run("read_contacts", *chunk))
            views.extend(
                self._view(c, pairs(f)) for c, f in zip(chunk, rows or [], strict=True) if f
            )
        return views

    async def get_contact(self, contact_id: str) -> ContactView | None:
        found = await self._read_contacts([contact_id])
        return found[0] if found else None

    async def contacts(self) -> list[ContactView]:
        ids = sorted(text(x) for x in await self.client.smembers(self._key("contacts")))
        views = await self._read_contacts(ids)
        return sorted(views, key=lambda v: (v.contact.entered_at, v.id))

    async def _lists(self, services: Sequence[str], stop: int) -> Heads:
        lists, flat_affinity = await self._run("heads", str(stop), *services)
        return self._heads(services, lists, flat_affinity)

    def _heads(self, services: Sequence[str], lists: list[Any], flat_affinity: Any) -> Heads:
        contact = self._contact
        by_service: dict[str, list[Contact]] = {}
        for name, rows in zip(services, lists, strict=True):
            by_service[name] = [contact(text(member)) for member in rows]
        return Heads(by_service, decode_affinity(pairs(flat_affinity)))

    async def waiting(self, service: str, limit: int | None = None) -> list[Contact]:
        if limit is not None and limit <= 0:
            return []
        heads = await self._lists([service], -1 if limit is None else limit - 1)
        return list(heads.by_service[service])

    async def heads(self, services: Iterable[str], k: int) -> Heads:
        names = list(dict.fromkeys(services))
        if k <= 0 or not names:
            return Heads({name: [] for name in names}, {})
        return await self._lists(names, k - 1)

    async def affinity(self, customer_ids: Iterable[str]) -> Affinity:
        ids = sorted(set(customer_ids))
        if not ids:
            return {}
        values = await self.client.hmget(self._key("aff"), ids)
        found = {c: text(v) for c, v in zip(ids, values, strict=True) if v is not None}
        return decode_affinity(found)

    # --- reservations: routing.state.redis_offers ----------------------------------------

    async def clear(self) -> int:
        """Delete every key under the prefix (tests and tools); returns how many."""
        count = 0
        batch: list[str] = []
        async for key in self.client.scan_iter(match=_glob_escape(self.prefix) + "*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                count += await self.client.unlink(*batch)
                batch.clear()
        if batch:
            count += await self.client.unlink(*batch)
        return count


def _glob_escape(text_: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text_)
