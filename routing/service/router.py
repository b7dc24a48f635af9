"""The router: queues the IVR's transfers, offers each call to the best agent (the pure
``routing.core`` decides), connects them through AMI and follows the call to its end.

Embedded mode keeps the state in a :class:`Registry`; AMI is optional (without it, a call is
offered to an agent and stays offered: there is nothing to dial).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any, Protocol

from customers.records import AgentRecord
from routing.bridge.signals import (
    AgentAnswered,
    AgentMissed,
    CallerGone,
    CallerWaiting,
    DevicePresence,
    signal_of,
)
from routing.core.decide import assign
from routing.core.model import Agent, AgentState, Contact, Service
from routing.core.relax import RequirementCache
from routing.service.registry import AgentEntry, Registry, TransitionError, Waiting

Publish = Callable[[str, Mapping[str, Any]], Awaitable[None]]
DEFAULT_PRIORITY = 5  # the scenarios' default transfer priority: 0 extra levels
CONNECT_CONTEXT = "omnivox-connect"


class CallControl(Protocol):
    """What the router needs from AMI (``routing.ami.AMIClient`` provides it)."""

    async def setvar(self, name: str, value: object, channel: str | None = None) -> None: ...

    async def redirect(self, channel: str, context: str, exten: str, priority: int = 1) -> None: ...

    def on_event(self, pattern: str, handler: Callable[[Any], object]) -> Callable[[], None]: ...


class Router:
    """One router over one :class:`Registry`; ``publish`` tells the desktop and reports."""

    def __init__(
        self,
        registry: Registry,
        *,
        control: CallControl | None = None,
        publish: Publish | None = None,
        clock: Callable[[], float] = time.time,
        offer_timeout_s: float = 45.0,
        tick_s: float = 0.5,
        logger: logging.Logger | None = None,
    ) -> None:
        self.registry = registry
        self._control = control
        self._publish = publish
        self._clock = clock
        self._offer_timeout_s = offer_timeout_s
        self._tick_s = tick_s
        self._log = logger or logging.getLogger("routing")
        self._cache = RequirementCache(registry.services)
        self._lock = asyncio.Lock()  # one decision round at a time
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: Callable[[], None] | None = None

    def now(self) -> float:
        return self._clock()

    # --- life cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        if self._control is not None:
            self._unsubscribe = self._control.on_event("*", self.on_ami_event)
        self._tasks.append(asyncio.create_task(self._ticker()))

    async def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def add_agent(self, record: AgentRecord) -> AgentEntry:
        """Register (or refresh) an agent from the store; new agents start offline."""
        skills = dict(record.skills)
        agent = Agent(
            id=str(record.id),
            skills=skills,
            services=self.registry.member_services(skills),
            team=record.team,
            endpoint=record.endpoint,
        )
        entry = AgentEntry(agent, record.login, record.name, state_since=self._clock())
        self.registry.put_agent(entry)
        return self.registry.agents[entry.id]

    # --- inputs -------------------------------------------------------------------------

    async def on_bus(self, topic: str, payload: Mapping[str, Any]) -> None:
        """Listener for the in-process bus: the IVR's ``ivr.transfer``."""
        if topic == "ivr.transfer":
            await self.queue_call(payload)

    async def queue_call(self, facts: Mapping[str, Any]) -> Waiting:
        """A caller the IVR handed over; ``facts`` is the ``ivr.transfer`` payload."""
        service = self.registry.services.get(str(facts["service"]))
        if service is None:
            raise TransitionError(f"no service {facts['service']!r} in the routing config")
        customer = facts.get("customer_id")
        extra = {s: 1 for s in facts.get("skills", ()) if s not in service.requires}
        contact = Contact(
            id=str(facts["call_id"]),
            service=service.name,
            entered_at=self._clock(),
            customer_id=str(customer) if customer else None,
            vip=bool(facts.get("vip")),
            segment=facts.get("segment"),
            intent=facts.get("intent"),
            required=extra,
            priority=int(facts.get("priority") or DEFAULT_PRIORITY) - DEFAULT_PRIORITY,
            language=facts.get("language"),
        )
        call = Waiting(
            contact,
            channel=facts.get("channel"),
            journey_id=facts.get("journey_id"),
            caller=facts.get("caller"),
            held=self._control is None,  # with Asterisk: once the caller is in the hold context
            facts=dict(facts),
        )
        async with self._lock:
            self.registry.enqueue(call)
        await self._emit("routing.queued", call.to_dict(self._clock()))
        await self.dispatch()
        return call

    async def set_state(self, agent_id: int | str, state: str, reason: str | None = None) -> dict:
        """An agent's own change (the desktop's ready / not ready / end wrap-up)."""
        try:
            wanted = AgentState(state)
        except ValueError:
            raise TransitionError(f"unknown state {state!r}") from None
        async with self._lock:
            entry = self.registry.set_state(str(agent_id), wanted, self._clock(), reason)
        view = entry.to_dict(self._clock())
        await self._emit("routing.agent", view)
        await self.dispatch()
        return view

    @property
    def services(self) -> Mapping[str, Any]:
        """The services of the routing config, by name (``routing.core.model.Service``)."""
        return self.registry.services

    async def update_services(self, services: Mapping[str, Service]) -> None:
        """Serve a new routing config (the admin pages' edit): refused with
        :class:`TransitionError` while a service it drops still holds calls."""
        async with self._lock:
            busy = {c.contact.service for c in self.registry.calls.values()} - set(services)
            if busy:
                raise TransitionError(f"services still holding calls: {', '.join(sorted(busy))}")
            self.registry.services = dict(services)
            self._cache = RequirementCache(self.registry.services)
            for entry in self.registry.agents.values():
                entry.agent = replace(
                    entry.agent, services=self.registry.member_services(entry.agent.skills)
                )
        await self.dispatch()

    async def agents(self) -> list[dict[str, Any]]:
        """Every agent as JSON (``GET /api/agents``, the wallboard, metrics)."""
        now = self._clock()
        return [e.to_dict(now) for e in self.registry.agents.values()]

    async def contacts(self) -> list[dict[str, Any]]:
        """Waiting, offered and talking contacts as JSON (``GET /api/contacts``)."""
        now = self._clock()
        return [c.to_dict(now) for c in self.registry.calls.values()]

    async def get_state(self, agent_id: int | str) -> dict:
        entry = self.registry.agents.get(str(agent_id))
        if entry is None:
            raise TransitionError(f"no agent {agent_id}")
        return entry.to_dict(self._clock())

    async def on_ami_event(self, event: Mapping[str, str]) -> None:
        """Every AMI event; those that mean something to routing change the state."""
        signal = signal_of(event)
        if signal is None:
            return
        now = self._clock()
        freed = False
        news: list[tuple[str, dict[str, Any]]] = []
        async with self._lock:
            calls = self.registry.calls
            match signal:
                case CallerWaiting(uniqueid=uid) if uid in calls:
                    call = calls[uid]
                    if not call.held:
                        call.held, freed = True, True
                        call.channel = call.channel or signal.channel
                case AgentAnswered(uniqueid=uid) if uid in calls and calls[uid].phase == "offered":
                    news.append(("routing.answered", self.registry.answered(uid, now).to_dict(now)))
                case AgentMissed(uniqueid=uid) if uid in calls and calls[uid].phase == "offered":
                    call, agent = self.registry.missed(uid, now)
                    news.append(("routing.missed", call.to_dict(now) | {"missed": agent.id}))
                    freed = True
                case CallerGone(uniqueid=uid) if uid in calls:
                    call, _ = self.registry.ended(uid, now)
                    kind = "routing.ended" if call.phase == "talking" else "routing.abandoned"
                    news.append((kind, call.to_dict(now)))
                    freed = True
                case DevicePresence(device=device):
                    for entry in self.registry.agents.values():
                        if entry.agent.endpoint == device:
                            entry.reachable, freed = signal.reachable, True
        for topic, payload in news:
            await self._emit(topic, payload)
        if freed:
            await self.dispatch()

    # --- decisions ------------------------------------------------------------------------

    async def dispatch(self) -> int:
        """Offer every waiting call some free agent can take; returns how many were offered."""
        async with self._lock:
            now = self._clock()
            contacts = self.registry.waiting()
            agents = list(self.registry.ready_agents())
            if not contacts or not agents:
                return 0
            decisions = assign(
                contacts,
                agents,
                self.registry.services,
                now,
                affinity=self.registry.affinity,
                cache=self._cache,
            )
            offered = [
                self.registry.offer(d.contact_id, d.agent_id, now, d.to_dict())
                for d in decisions
                if d.agent_id is not None
            ]
        for call in offered:
            await self._connect(call)
        return len(offered)

    async def _connect(self, call: Waiting) -> None:
        assert call.agent_id is not None
        entry = self.registry.agents[call.agent_id]
        await self._emit(
            "routing.offered",
            call.to_dict(self._clock()) | {"why": call.why, "facts": call.facts, "agent": entry.id},
        )
        if self._control is None or not call.channel or not entry.agent.endpoint:
            return
        try:
            await self._control.setvar("OMNIVOX_AGENT_ENDPOINT", entry.agent.endpoint, call.channel)
            await self._control.redirect(call.channel, CONNECT_CONTEXT, "s")
        except Exception:  # AMI down or the channel just went away: the call is not lost
            self._log.exception("connecting call %s to agent %s failed", call.id, entry.id)
            async with self._lock:
                if call.id in self.registry.calls and call.phase == "offered":
                    self.registry.missed(call.id, self._clock())

    async def _ticker(self) -> None:
        """Wrap-ups that end, offers whose events were lost, and relaxation over time."""
        while True:
            await asyncio.sleep(self._tick_s)
            try:
                await self._tick()
            except Exception:
                self._log.exception("routing tick failed")

    async def _tick(self) -> None:
        now = self._clock()
        async with self._lock:
            for entry in self.registry.wrap_ups_due(now):
                self.registry.set_state(entry.id, AgentState.READY, now)
            for call in list(self.registry.calls.values()):
                stale = call.phase == "offered" and call.offered_at is not None
                if stale and now - call.offered_at > self._offer_timeout_s:  # type: ignore[operator]
                    self._log.warning("offer of call %s to %s timed out", call.id, call.agent_id)
                    self.registry.missed(call.id, now)
        await self.dispatch()

    async def _emit(self, topic: str, payload: Mapping[str, Any]) -> None:
        if self._publish is None:
            return
        try:
            await self._publish(topic, payload)
        except Exception:
            self._log.exception("publishing %s failed", topic)
