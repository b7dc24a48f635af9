"""What the routing state holds and returns: views of agents and contacts, reservations,
the results of each transition, and the errors.

Plain data. Views wrap the decision core's own types (:class:`routing.core.model.Agent`,
:class:`routing.core.model.Contact`) so the router can hand them straight to
``routing.core``; the extra fields are what the state layer needs to keep its invariants.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from routing.core.model import Agent, AgentState, Contact, Service, ServiceLive
from routing.core.relax import live_snapshot
from routing.core.trace import Decision

Phase = Literal["waiting", "offered", "active"]
Affinity = dict[str, tuple[str, float]]  # customer id -> (agent id, answered at)

AGENT_SET_STATES = frozenset({AgentState.OFFLINE, AgentState.READY, AgentState.NOT_READY})
"""The states an agent (or an admin) may set; the others follow from contacts."""


class StateError(ValueError):
    """Bad input to the routing state (unknown service, malformed skill level, ...)."""


class NotFound(StateError):
    """No such agent or contact."""


class TransitionError(StateError):
    """The current state does not allow this change (the message says why)."""


class StaleVersion(TransitionError):
    """A fence did not match: the agent or the reservation changed since it was read."""


class RefuseReason(StrEnum):
    """Why :meth:`RoutingState.reserve` did not reserve."""

    NO_AGENT = "no_agent"
    AGENT_NOT_READY = "agent_not_ready"
    AGENT_BUSY = "agent_busy"  # already holds a voice contact
    AGENT_UNREACHABLE = "agent_unreachable"  # device state says the endpoint cannot ring
    NO_CONTACT = "no_contact"
    CONTACT_NOT_WAITING = "contact_not_waiting"  # offered to someone, or answered
    RANG_OUT = "rang_out"  # the agent already let this contact ring out

    @property
    def agent_side(self) -> bool:
        """The agent cannot take any contact now (as opposed to: not this contact)."""
        return self in (
            RefuseReason.NO_AGENT,
            RefuseReason.AGENT_NOT_READY,
            RefuseReason.AGENT_BUSY,
            RefuseReason.AGENT_UNREACHABLE,
        )


@dataclass(frozen=True, slots=True)
class AgentView:
    """An agent as stored: the core's :class:`Agent` plus state bookkeeping.

    ``version`` grows with every change (a fence for :meth:`RoutingState.set_agent_state`);
    ``contact_id`` is the voice contact the agent holds (reserved or on call), if any.
    """

    agent: Agent
    version: int
    state_since: float
    contact_id: str | None = None
    reachable: bool = True
    wrap_up_until: float | None = None

    @property
    def id(self) -> str:
        return self.agent.id

    @property
    def state(self) -> AgentState:
        return self.agent.state

    def to_dict(self, now: float) -> dict[str, Any]:
        """JSON-ready, for ``GET /api/agents``."""
        a = self.agent
        return {
            "id": a.id,
            "state": a.state.value,
            "reason": a.not_ready_reason,
            "in_state_s": round(max(0.0, now - self.state_since), 1),
            "idle_since": a.idle_since,
            "skills": dict(a.skills),
            "services": sorted(a.services),
            "team": a.team,
            "endpoint": a.endpoint,
            "contact_id": self.contact_id,
            "reachable": self.reachable,
            "wrap_up_left_s": (
                None if self.wrap_up_until is None else round(max(0.0, self.wrap_up_until - now), 1)
            ),
            "version": self.version,
        }


@dataclass(frozen=True, slots=True)
class ContactView:
    """A contact as stored: the core's :class:`Contact` (``excluded`` holds the agents who
    let it ring out) plus where it is. ``queues``: the waiting lists it is listed under (its
    own service first, then any it was also listed under for overflow)."""

    contact: Contact
    phase: Phase
    queues: tuple[str, ...]
    agent_id: str | None = None
    token: int | None = None  # the reservation's fence while offered
    offered_at: float | None = None
    expires_at: float | None = None
    answered_at: float | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)  # the adapter's own (channel, ...)

    @property
    def id(self) -> str:
        return self.contact.id

    def to_dict(self, now: float) -> dict[str, Any]:
        """JSON-ready, for ``GET /api/contacts``: service, priority, wait, agent, ..."""
        c = self.contact
        return {
            "id": c.id,
            "service": c.service,
            "priority": c.priority,
            "vip": c.vip,
            "segment": c.segment,
            "intent": c.intent,
            "customer_id": c.customer_id,
            "phase": self.phase,
            "agent_id": self.agent_id,
            "entered_at": c.entered_at,
            "wait_s": round(max(0.0, (self.answered_at or now) - c.entered_at), 1),
            "rejected_by": sorted(c.excluded),
            "queues": list(self.queues),
            "meta": dict(self.meta),
        }


@dataclass(frozen=True, slots=True)
class Reservation:
    """``agent_id`` is ringing for ``contact_id`` until ``expires_at``.

    ``token`` is a fencing token: it grows with every reservation across all instances on
    one store, and :meth:`RoutingState.confirm` / ``release`` accept it to refuse acting
    on a reservation that has since expired and been replaced.
    """

    contact_id: str
    agent_id: str
    token: int
    reserved_at: float
    expires_at: float


@dataclass(frozen=True, slots=True)
class Offer:
    """A reservation and the decision (with its trace) that made it. ``attempts``: the
    reservations tried, 1 unless other deciders took the first choices meanwhile."""

    reservation: Reservation
    decision: Decision
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class Refused:
    """A reservation that was not made, and why. Falsy, so ``if result:`` reads well."""

    contact_id: str
    agent_id: str
    reason: RefuseReason

    def __bool__(self) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class Released:
    """An offer that ended without an answer: the contact is waiting again in its place."""

    contact_id: str
    agent_id: str
    reason: str  # the agent's not-ready reason ("missed")
    seq: int


@dataclass(frozen=True, slots=True)
class Removed:
    """A contact that left: ``abandoned`` (never answered) or ``ended`` (after an answer).

    ``agent_id``: the agent it was offered to or talking with, now ready again or in wrap-up.
    """

    view: ContactView
    outcome: Literal["abandoned", "ended"]
    agent_id: str | None
    agent_state: AgentState | None
    removed_at: float
    seq: int

    @property
    def waited_s(self) -> float:
        """Time in queue: until answered, or until the caller left."""
        end = self.view.answered_at if self.view.answered_at is not None else self.removed_at
        return max(0.0, end - self.view.contact.entered_at)


@dataclass(frozen=True, slots=True)
class Confirmed:
    """The agent answered: the contact is active and the agent on call."""

    view: ContactView
    seq: int


@dataclass(frozen=True, slots=True)
class Swept:
    """What one :meth:`RoutingState.sweep` did."""

    released: tuple[Released, ...] = ()
    wrapped_up: tuple[str, ...] = ()  # agents whose wrap-up ended (now ready)


@dataclass(frozen=True, slots=True)
class Heads:
    """The first contacts of some waiting lists, best first, and affinity for their
    customers: what ``best_contact_for_agent`` needs when an agent becomes ready."""

    by_service: Mapping[str, Sequence[Contact]]
    affinity: Affinity

    def contacts(self) -> list[Contact]:
        """Every listed contact once (a contact may be listed under several services)."""
        seen: dict[str, Contact] = {}
        for listed in self.by_service.values():
            for contact in listed:
                seen.setdefault(contact.id, contact)
        return list(seen.values())


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Ready agents and every waiting contact per service, the inputs of ``assign``."""

    agents: Sequence[Agent]
    waiting: Mapping[str, Sequence[Contact]]
    affinity: Affinity
    taken_at: float

    def contacts(self) -> list[Contact]:
        return Heads(self.waiting, self.affinity).contacts()

    def live(
        self, services: Mapping[str, Service], sl_at_risk: Sequence[str] = ()
    ) -> dict[str, ServiceLive]:
        """Live state per service for relaxation triggers (see ``routing.core.relax``)."""
        return live_snapshot(self.contacts(), self.agents, services, sl_at_risk)
