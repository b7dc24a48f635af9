"""The router's embedded state: agents and waiting calls, and the only transitions allowed.

No I/O and no clock: times are passed in. Every transition checks the invariants the router
relies on: an agent holds at most one voice contact; a contact is offered to one agent at a
time; a contact returned after a missed offer keeps its place (its original entry time).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from routing.core.model import Agent, AgentState, Contact, Service

Phase = Literal["waiting", "offered", "talking"]


class TransitionError(ValueError):
    """A change the current state does not allow (the message says why)."""


@dataclass
class AgentEntry:
    """An agent as the router tracks them: the core's view plus what the router needs."""

    agent: Agent
    login: str
    name: str
    state_since: float
    contact_id: str | None = None  # the call offered to or handled by this agent
    wrap_up_until: float | None = None
    reachable: bool = True  # the endpoint's device state allows calls

    @property
    def id(self) -> str:
        return self.agent.id

    def to_dict(self, now: float) -> dict[str, Any]:
        a = self.agent
        return {
            "id": a.id,
            "login": self.login,
            "name": self.name,
            "state": a.state.value,
            "reason": a.not_ready_reason,
            "in_state_s": round(max(0.0, now - self.state_since), 1),
            "skills": dict(a.skills),
            "services": sorted(a.services),
            "team": a.team,
            "endpoint": a.endpoint,
            "contact_id": self.contact_id,
            "wrap_up_left_s": (
                round(max(0.0, self.wrap_up_until - now), 1) if self.wrap_up_until else None
            ),
        }


@dataclass
class Waiting:
    """A call handed over by the IVR, from queueing until an agent talks to the caller."""

    contact: Contact
    channel: str | None
    journey_id: int | None
    caller: str | None
    held: bool  # in the hold context (Asterisk) or no call control at all (embedded)
    phase: Phase = "waiting"
    agent_id: str | None = None
    offered_at: float | None = None
    answered_at: float | None = None
    why: dict[str, Any] = field(default_factory=dict)  # the decision that chose the agent
    facts: dict[str, Any] = field(default_factory=dict)  # what the IVR published

    @property
    def id(self) -> str:
        return self.contact.id

    def to_dict(self, now: float) -> dict[str, Any]:
        c = self.contact
        return {
            "id": c.id,
            "service": c.service,
            "priority": c.priority,
            "vip": c.vip,
            "intent": c.intent,
            "customer_id": c.customer_id,
            "caller": self.caller,
            "phase": self.phase,
            "agent_id": self.agent_id,
            "wait_s": round(max(0.0, (self.answered_at or now) - c.entered_at), 1),
            "missed_by": sorted(c.excluded),
            "journey_id": self.journey_id,
        }


class Registry:
    """Agents by id and waiting calls by contact id (the caller channel's uniqueid)."""

    def __init__(self, services: Mapping[str, Service]) -> None:
        self.services = dict(services)
        self.agents: dict[str, AgentEntry] = {}
        self.calls: dict[str, Waiting] = {}
        self.affinity: dict[str, tuple[str, float]] = {}  # customer id -> (agent id, when)

    # --- agents ---------------------------------------------------------------------------

    def put_agent(self, entry: AgentEntry) -> None:
        """Add an agent, or update skills/endpoint of a known one keeping their live state."""
        known = self.agents.get(entry.id)
        if known is not None:
            entry.agent = replace(
                entry.agent,
                state=known.agent.state,
                idle_since=known.agent.idle_since,
                not_ready_reason=known.agent.not_ready_reason,
            )
            entry.state_since, entry.contact_id = known.state_since, known.contact_id
            entry.wrap_up_until, entry.reachable = known.wrap_up_until, known.reachable
        self.agents[entry.id] = entry

    def member_services(self, skills: Mapping[str, int]) -> frozenset[str]:
        """The services whose required skills the agent has at any level (relaxation may
        lower the level a service needs, so a level-3 billing agent is a billing member)."""
        return frozenset(
            name for name, service in self.services.items() if set(service.requires) <= set(skills)
        )

    def set_state(
        self, agent_id: str, state: AgentState, now: float, reason: str | None = None
    ) -> AgentEntry:
        """An agent's own change (ready, not ready, offline, ending wrap-up)."""
        entry = self._agent(agent_id)
        if entry.agent.state in (AgentState.RESERVED, AgentState.ON_CALL):
            raise TransitionError(f"agent {agent_id} is {entry.agent.state.value}: not now")
        if state in (AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP):
            raise TransitionError(f"{state.value} is set by the router, not by the agent")
        self._move(entry, state, now, reason)
        if state is AgentState.READY:
            entry.contact_id, entry.wrap_up_until = None, None
        return entry

    def _move(self, entry: AgentEntry, state: AgentState, now: float, reason: str | None) -> None:
        idle = now if state is AgentState.READY else entry.agent.idle_since
        entry.agent = replace(
            entry.agent,
            state=state,
            idle_since=idle,
            not_ready_reason=reason if state is AgentState.NOT_READY else None,
        )
        entry.state_since = now

    def _agent(self, agent_id: str) -> AgentEntry:
        entry = self.agents.get(agent_id)
        if entry is None:
            raise TransitionError(f"no agent {agent_id}")
        return entry

    def ready_agents(self) -> Iterator[Agent]:
        for entry in self.agents.values():
            if entry.agent.state is AgentState.READY and entry.reachable:
                yield entry.agent

    # --- calls ----------------------------------------------------------------------------

    def enqueue(self, call: Waiting) -> None:
        if call.id in self.calls:
            raise TransitionError(f"call {call.id} is already queued")
        if call.contact.service not in self.services:
            raise TransitionError(f"no service {call.contact.service!r} in the routing config")
        self.calls[call.id] = call

    def waiting(self) -> list[Contact]:
        """Contacts the router may offer now: held and not offered to anyone."""
        return [c.contact for c in self.calls.values() if c.phase == "waiting" and c.held]

    def offer(self, contact_id: str, agent_id: str, now: float, why: dict[str, Any]) -> Waiting:
        """Reserve: the agent must be ready and free, the call waiting and not offered."""
        call, entry = self.calls.get(contact_id), self._agent(agent_id)
        if call is None or call.phase != "waiting":
            raise TransitionError(f"call {contact_id} is not waiting")
        if entry.agent.state is not AgentState.READY or entry.contact_id is not None:
            raise TransitionError(f"agent {agent_id} is not free")
        call.phase, call.agent_id, call.offered_at, call.why = "offered", agent_id, now, why
        entry.contact_id = contact_id
        self._move(entry, AgentState.RESERVED, now, None)
        return call

    def answered(self, contact_id: str, now: float) -> Waiting:
        call = self.calls.get(contact_id)
        if call is None or call.phase != "offered" or call.agent_id is None:
            raise TransitionError(f"call {contact_id} was not offered")
        call.phase, call.answered_at = "talking", now
        self._move(self.agents[call.agent_id], AgentState.ON_CALL, now, None)
        if call.contact.customer_id:
            self.affinity[call.contact.customer_id] = (call.agent_id, now)
        return call

    def missed(self, contact_id: str, now: float) -> tuple[Waiting, AgentEntry]:
        """The offered agent did not answer: they go not-ready ("missed"), the call goes back
        to waiting with its original entry time (its place) and skips that agent."""
        call = self.calls.get(contact_id)
        if call is None or call.phase != "offered" or call.agent_id is None:
            raise TransitionError(f"call {contact_id} was not offered")
        entry = self.agents[call.agent_id]
        entry.contact_id = None
        self._move(entry, AgentState.NOT_READY, now, "missed")
        call.contact = replace(call.contact, excluded=call.contact.excluded | {entry.id})
        call.phase, call.agent_id, call.offered_at = "waiting", None, None
        return call, entry

    def ended(self, contact_id: str, now: float) -> tuple[Waiting, AgentEntry | None]:
        """The caller hung up: an unanswered call is gone (abandoned); an answered one puts
        its agent into wrap-up for the service's wrap-up time."""
        call = self.calls.pop(contact_id)
        entry = self.agents.get(call.agent_id) if call.agent_id else None
        if entry is not None and entry.contact_id == contact_id:
            if call.phase == "talking":
                wrap = self.services[call.contact.service].wrap_up_s
                self._move(entry, AgentState.WRAP_UP, now, None)
                entry.wrap_up_until = now + wrap
            else:  # offered, never answered: the agent is free again
                entry.contact_id = None
                self._move(entry, AgentState.READY, now, None)
        return call, entry

    def wrap_ups_due(self, now: float) -> list[AgentEntry]:
        return [
            e
            for e in self.agents.values()
            if e.agent.state is AgentState.WRAP_UP
            and e.wrap_up_until is not None
            and e.wrap_up_until <= now
        ]
