"""The embedded routing state: everything in one process, for a single omnivox instance.

Each method runs to completion without awaiting, so on one event loop every transition is
atomic, the same guarantee the Redis store gets from its Lua scripts.
"""

from __future__ import annotations

import json
import time
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from routing.core.model import Agent, AgentState, Contact, Service
from routing.core.service_level import LevelBook, Tally, met_target
from routing.state.base import MISSED, RoutingState, agent_set_state
from routing.state.codec import check_agent, check_contact, check_meta, queue_score
from routing.state.model import (
    AGENT_SET_STATES,
    Affinity,
    AgentView,
    Confirmed,
    ContactView,
    Heads,
    NotFound,
    Phase,
    Refused,
    RefuseReason,
    Released,
    Removed,
    Reservation,
    StaleVersion,
    StateError,
    Swept,
    TransitionError,
)


class MemoryState(RoutingState):
    """:class:`RoutingState` in process dictionaries (embedded mode)."""

    def __init__(
        self, services: Mapping[str, Service], clock: Callable[[], float] = time.time
    ) -> None:
        self.services = dict(services)
        self.clock = clock
        self._agents: dict[str, AgentView] = {}
        self._ready: dict[str, set[str]] = {}  # service -> ready agent ids
        self._ready_all: set[str] = set()
        self._contacts: dict[str, ContactView] = {}
        self._scores: dict[str, float] = {}
        self._lists: dict[str, list[tuple[float, str]]] = {}  # service -> sorted waiting
        self._reservations: dict[str, float] = {}  # contact id -> expires at
        self._wrap_ups: dict[str, float] = {}  # agent id -> wrap-up ends at
        self._affinity: Affinity = {}
        self._levels = LevelBook()
        self._seq = 0

    async def close(self) -> None:
        """Nothing to release."""

    # --- internals ------------------------------------------------------------------------

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _agent(self, agent_id: str) -> AgentView:
        view = self._agents.get(agent_id)
        if view is None:
            raise NotFound(f"no agent {agent_id}")
        return view

    def _contact(self, contact_id: str) -> ContactView:
        view = self._contacts.get(contact_id)
        if view is None:
            raise NotFound(f"no contact {contact_id}")
        return view

    def _offerable(self, view: AgentView) -> bool:
        return view.state is AgentState.READY and view.reachable and view.contact_id is None

    def _index_ready(self, view: AgentView, on: bool) -> None:
        if on:
            self._ready_all.add(view.id)
        else:
            self._ready_all.discard(view.id)
        for name in view.agent.services:
            members = self._ready.setdefault(name, set())
            if on:
                members.add(view.id)
            else:
                members.discard(view.id)

    def _store_agent(self, old: AgentView | None, new: AgentView) -> AgentView:
        if old is not None:
            self._index_ready(old, False)
        self._agents[new.id] = new
        if self._offerable(new):
            self._index_ready(new, True)
        return new

    def _move(
        self,
        view: AgentView,
        state: AgentState,
        now: float,
        reason: str | None = None,
        **changes: Any,
    ) -> AgentView:
        agent = replace(
            view.agent,
            state=state,
            idle_since=now if state is AgentState.READY else view.agent.idle_since,
            not_ready_reason=(reason or None) if state is AgentState.NOT_READY else None,
        )
        if state is not AgentState.WRAP_UP:
            changes["wrap_up_until"] = None
            self._wrap_ups.pop(view.id, None)
        new = replace(view, agent=agent, version=view.version + 1, state_since=now, **changes)
        return self._store_agent(view, new)

    def _list(self, contact_id: str, service: str) -> None:
        insort(self._lists.setdefault(service, []), (self._scores[contact_id], contact_id))

    def _unlist(self, contact_id: str, service: str) -> None:
        entries = self._lists.get(service, [])
        key = (self._scores[contact_id], contact_id)
        i = bisect_left(entries, key)
        if i < len(entries) and entries[i] == key:
            del entries[i]

    def _set_phase(self, view: ContactView, phase: Phase, **changes: Any) -> ContactView:
        new = replace(view, phase=phase, **changes)
        self._contacts[view.id] = new
        return new

    def _release(self, view: ContactView, now: float, reason: str) -> Released:
        agent_id = view.agent_id
        assert agent_id is not None
        contact = view.contact
        if agent_id not in contact.excluded:
            contact = replace(contact, excluded=contact.excluded | {agent_id})
        self._set_phase(
            view,
            "waiting",
            contact=contact,
            agent_id=None,
            token=None,
            offered_at=None,
            expires_at=None,
        )
        for name in view.queues:
            self._list(view.id, name)
        self._reservations.pop(view.id, None)
        agent = self._agents.get(agent_id)
        if agent is not None and agent.contact_id == view.id:
            self._move(agent, AgentState.NOT_READY, now, reason, contact_id=None)
        return Released(view.id, agent_id, reason, self._next())

    # --- agents ---------------------------------------------------------------------------

    async def put_agent(self, agent: Agent) -> AgentView:
        check_agent(agent, self.services)
        now = self.clock()
        old = self._agents.get(agent.id)
        if old is not None:
            live = replace(
                agent,
                state=old.state,
                idle_since=old.agent.idle_since,
                not_ready_reason=old.agent.not_ready_reason,
            )
            return self._store_agent(old, replace(old, agent=live, version=old.version + 1))
        if agent.state not in AGENT_SET_STATES:
            raise StateError(f"agent {agent.id}: a new agent cannot start {agent.state.value}")
        ready = agent.state is AgentState.READY
        agent = replace(
            agent,
            idle_since=now if ready else None,
            not_ready_reason=(agent.not_ready_reason or None)
            if agent.state is AgentState.NOT_READY
            else None,
        )
        return self._store_agent(None, AgentView(agent, version=1, state_since=now))

    async def remove_agent(self, agent_id: str) -> None:
        view = self._agent(agent_id)
        if view.contact_id is not None:
            raise TransitionError(f"agent {agent_id} holds contact {view.contact_id}")
        self._index_ready(view, False)
        self._wrap_ups.pop(agent_id, None)
        del self._agents[agent_id]

    async def set_agent_state(
        self,
        agent_id: str,
        state: AgentState | str,
        reason: str | None = None,
        *,
        expect_version: int | None = None,
    ) -> AgentView:
        wanted = agent_set_state(state)
        view = self._agent(agent_id)
        if expect_version is not None and expect_version != view.version:
            raise StaleVersion(
                f"agent {agent_id} is at version {view.version}, not {expect_version}"
            )
        if view.state in (AgentState.RESERVED, AgentState.ON_CALL):
            raise TransitionError(f"agent {agent_id} is {view.state.value}: not now")
        reason = (reason or None) if wanted is AgentState.NOT_READY else None
        if view.state is wanted and view.agent.not_ready_reason == reason:
            return view
        return self._move(view, wanted, self.clock(), reason)

    async def set_presence(self, agent_id: str, reachable: bool) -> AgentView:
        view = self._agent(agent_id)
        return self._store_agent(view, replace(view, reachable=reachable, version=view.version + 1))

    async def get_agent(self, agent_id: str) -> AgentView | None:
        return self._agents.get(agent_id)

    async def agents(self) -> list[AgentView]:
        return [self._agents[k] for k in sorted(self._agents)]

    async def agents_at(self, endpoint: str) -> list[AgentView]:
        return [v for v in await self.agents() if v.agent.endpoint == endpoint]

    async def ready_agents(self, service: str | None = None) -> list[Agent]:
        ids = self._ready_all if service is None else self._ready.get(service, set())
        return [self._agents[a].agent for a in sorted(ids)]

    # --- contacts -------------------------------------------------------------------------

    async def enqueue(self, contact: Contact, meta: Mapping[str, Any] | None = None) -> ContactView:
        service = check_contact(contact, self.services)
        extra = {k: json.loads(v) for k, v in check_meta(meta).items()}
        if contact.id in self._contacts:
            raise TransitionError(f"contact {contact.id} is already queued")
        view = ContactView(contact, "waiting", (contact.service,), meta=extra)
        self._contacts[contact.id] = view
        self._scores[contact.id] = queue_score(contact, service)
        self._list(contact.id, contact.service)
        self._levels.entered(contact.id, contact.service, contact.entered_at)
        return view

    async def list_under(self, contact_id: str, service: str) -> ContactView:
        if service not in self.services:
            raise StateError(f"unknown service {service!r}")
        view = self._contact(contact_id)
        if service in view.queues:
            return view
        if view.phase == "waiting":
            self._list(contact_id, service)
        return self._set_phase(view, view.phase, queues=(*view.queues, service))

    async def update_meta(self, contact_id: str, meta: Mapping[str, Any]) -> ContactView:
        extra = {k: json.loads(v) for k, v in check_meta(meta).items()}
        view = self._contact(contact_id)
        return self._set_phase(view, view.phase, meta={**view.meta, **extra})

    async def remove_contact(self, contact_id: str) -> Removed | None:
        view = self._contacts.pop(contact_id, None)
        if view is None:
            return None
        now = self.clock()
        if view.phase == "waiting":
            for name in view.queues:
                self._unlist(contact_id, name)
        del self._scores[contact_id]
        self._reservations.pop(contact_id, None)
        outcome = "ended" if view.phase == "active" else "abandoned"
        if outcome == "abandoned":
            self._levels.outcome(contact_id, self.services[view.contact.service], now, False)
        agent = self._agents.get(view.agent_id) if view.agent_id else None
        state = None
        if agent is not None and agent.contact_id == contact_id:
            wrap_s = self.services[view.contact.service].wrap_up_s
            if view.phase == "active" and wrap_s > 0:
                agent = self._move(
                    agent, AgentState.WRAP_UP, now, contact_id=None, wrap_up_until=now + wrap_s
                )
                self._wrap_ups[agent.id] = now + wrap_s
            else:
                agent = self._move(agent, AgentState.READY, now, contact_id=None)
            state = agent.state
        return Removed(view, outcome, view.agent_id, state, now, self._next())

    async def get_contact(self, contact_id: str) -> ContactView | None:
        return self._contacts.get(contact_id)

    async def contacts(self) -> list[ContactView]:
        return sorted(self._contacts.values(), key=lambda v: (v.contact.entered_at, v.id))

    async def waiting(self, service: str, limit: int | None = None) -> list[Contact]:
        entries = self._lists.get(service, [])
        chosen = entries if limit is None else entries[: max(0, limit)]
        return [self._contacts[cid].contact for _, cid in chosen]

    async def heads(self, services: Iterable[str], k: int) -> Heads:
        by_service = {name: await self.waiting(name, k) for name in services}
        customers = {c.customer_id for cs in by_service.values() for c in cs if c.customer_id}
        return Heads(by_service, await self.affinity(customers))

    async def affinity(self, customer_ids: Iterable[str]) -> Affinity:
        return {c: self._affinity[c] for c in customer_ids if c in self._affinity}

    # --- reservations ---------------------------------------------------------------------

    async def reserve(self, contact_id: str, agent_id: str, ttl_s: float) -> Reservation | Refused:
        agent = self._agents.get(agent_id)
        contact = self._contacts.get(contact_id)
        reason: RefuseReason | None = None
        if agent is None:
            reason = RefuseReason.NO_AGENT
        elif contact is None:
            reason = RefuseReason.NO_CONTACT
        elif agent.contact_id is not None:
            reason = RefuseReason.AGENT_BUSY
        elif agent.state is not AgentState.READY:
            reason = RefuseReason.AGENT_NOT_READY
        elif not agent.reachable:
            reason = RefuseReason.AGENT_UNREACHABLE
        elif contact.phase != "waiting":
            reason = RefuseReason.CONTACT_NOT_WAITING
        elif agent_id in contact.contact.excluded:
            reason = RefuseReason.RANG_OUT
        if reason is not None:
            return Refused(contact_id, agent_id, reason)
        assert agent is not None and contact is not None
        now = self.clock()
        expires = now + ttl_s
        token = self._next()
        for name in contact.queues:
            self._unlist(contact_id, name)
        self._set_phase(
            contact, "offered", agent_id=agent_id, token=token, offered_at=now, expires_at=expires
        )
        self._reservations[contact_id] = expires
        self._move(agent, AgentState.RESERVED, now, contact_id=contact_id)
        return Reservation(contact_id, agent_id, token, now, expires)

    def _offered(self, contact_id: str, token: int | None) -> ContactView:
        view = self._contact(contact_id)
        if view.phase != "offered" or view.agent_id is None:
            raise TransitionError(f"contact {contact_id} is {view.phase}, not offered")
        if token is not None and token != view.token:
            raise StaleVersion(f"contact {contact_id}: reservation {token} is no longer current")
        return view

    async def confirm(self, contact_id: str, *, token: int | None = None) -> Confirmed:
        view = self._offered(contact_id, token)
        now = self.clock()
        self._reservations.pop(contact_id, None)
        view = self._set_phase(view, "active", answered_at=now, expires_at=None)
        agent_id = view.agent_id
        assert agent_id is not None
        agent = self._agents.get(agent_id)
        if agent is not None and agent.contact_id == contact_id:
            self._move(agent, AgentState.ON_CALL, now)
        if view.contact.customer_id:
            self._affinity[view.contact.customer_id] = (agent_id, now)
        service = self.services[view.contact.service]
        met = met_target(now - view.contact.entered_at, service)
        self._levels.outcome(contact_id, service, now, met)
        return Confirmed(view, self._next())

    async def entered_between(self, service: str, after: float, upto: float) -> list[str]:
        return self._levels.entered_between(service, after, upto)

    async def service_levels(self) -> dict[str, Tally]:
        now = self.clock()
        return {name: self._levels.tally(s, now) for name, s in self.services.items()}

    async def release(
        self, contact_id: str, *, token: int | None = None, reason: str = MISSED
    ) -> Released:
        return self._release(self._offered(contact_id, token), self.clock(), reason)

    async def sweep(self, limit: int = 100) -> Swept:
        now = self.clock()
        due = sorted((t, c) for c, t in self._reservations.items() if t <= now)[:limit]
        released = tuple(self._release(self._contacts[c], now, MISSED) for _, c in due)
        ended = sorted((t, a) for a, t in self._wrap_ups.items() if t <= now)[:limit]
        for _, agent_id in ended:
            self._move(self._agents[agent_id], AgentState.READY, now)
        return Swept(released, tuple(a for _, a in ended))
