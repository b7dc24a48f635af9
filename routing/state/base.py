"""The routing state contract: what the router service reads and changes, in one place.

Two stores implement it: :class:`routing.state.memory.MemoryState` (embedded, in process)
and :class:`routing.state.redis_state.RedisState` (shared by several router instances).
One contract test suite runs against both.

Invariants every implementation keeps, whatever the interleaving of calls:

- an agent holds at most one voice contact (``AgentView.contact_id``), and only while
  RESERVED or ON_CALL;
- a contact is offered to at most one agent at a time, and is in no waiting list while
  offered or active;
- a released or expired offer puts the contact back under the score it left with (its
  original ``entered_at``: in front of everything that arrived after it in its band), adds
  the agent to its ``rejected_by`` (``Contact.excluded``) and makes the agent NOT_READY with
  the given reason ("missed");
- each reservation, confirmation, release and removal takes the next number of one
  sequence shared by every instance on the store (``Reservation.token``, ``*.seq``);
- every contact's service-level outcome is recorded once, by the transition that settles it
  (``confirm``: answered, within the target or not; ``remove_contact`` of a contact not
  answered: abandoned), and counted by :meth:`RoutingState.service_levels` while it is in
  its service's window (``routing.core.service_level``).

Times come from the store's ``clock`` (``time.time`` unless given), so instances sharing a
Redis must share a clock (NTP).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from routing.core.model import Agent, AgentState, Contact, Service
from routing.core.relax import RequirementCache, overflow_sources
from routing.core.service_level import Tally, risk_flags
from routing.state.model import (
    AGENT_SET_STATES,
    Affinity,
    AgentView,
    Confirmed,
    ContactView,
    Heads,
    Offer,
    Refused,
    Released,
    Removed,
    Reservation,
    Snapshot,
    StateError,
    Swept,
)

MISSED = "missed"


def agent_set_state(state: AgentState | str) -> AgentState:
    """``state`` as an :class:`AgentState` an agent may set, or :class:`StateError`."""
    try:
        wanted = AgentState(state)
    except ValueError:
        raise StateError(f"unknown agent state {state!r}") from None
    if wanted not in AGENT_SET_STATES:
        raise StateError(f"{wanted.value} is set by the router, not by the agent")
    return wanted


class RoutingState(ABC):
    """Agents, waiting contacts and reservations, with atomic transitions."""

    services: Mapping[str, Service]
    clock: Callable[[], float]

    # --- agents ---------------------------------------------------------------------------

    @abstractmethod
    async def put_agent(self, agent: Agent) -> AgentView:
        """Add an agent, or update a known one's skills, services, team and endpoint.

        A new agent starts in ``agent.state`` (OFFLINE, READY or NOT_READY; READY sets
        ``idle_since`` to now). A known agent keeps its live state, version and contact.
        """

    @abstractmethod
    async def remove_agent(self, agent_id: str) -> None:
        """Forget an agent. Refused (:class:`TransitionError`) while they hold a contact."""

    @abstractmethod
    async def set_agent_state(
        self,
        agent_id: str,
        state: AgentState | str,
        reason: str | None = None,
        *,
        expect_version: int | None = None,
    ) -> AgentView:
        """The agent's own change: OFFLINE, READY or NOT_READY (with ``reason``).

        Refused while RESERVED or ON_CALL; from WRAP_UP it ends the wrap-up early.
        ``expect_version``: a fence, :class:`StaleVersion` unless it is the agent's version.
        Setting the state the agent is already in changes nothing (READY keeps idle time).
        """

    async def agent_ready(
        self, agent_id: str, k: int, *, expect_version: int | None = None
    ) -> tuple[AgentView, Heads]:
        """The agent goes READY (as :meth:`set_agent_state`) and the first ``k`` contacts of
        each of their services' waiting lists are read, in one step where the store can:
        the input of ``best_contact_for_agent``. ``k`` must be at least 1."""
        if k < 1:
            raise StateError("k must be at least 1")
        view = await self.set_agent_state(agent_id, AgentState.READY, expect_version=expect_version)
        return view, await self.heads(sorted(view.agent.services), k)

    async def ready_and_reserve(
        self,
        agent_id: str,
        ttl_s: float,
        *,
        k: int = 4,
        max_k: int = 320,
        expect_version: int | None = None,
    ) -> Reservation | None:
        """:meth:`ready_and_offer`'s reservation, without the agent's extra lists."""
        offer = await self.ready_and_offer(
            agent_id, ttl_s, k=k, max_k=max_k, expect_version=expect_version
        )
        return None if offer is None else offer.reservation

    async def ready_and_offer(
        self,
        agent_id: str,
        ttl_s: float,
        *,
        lists: Iterable[str] = (),
        k: int = 4,
        max_k: int = 320,
        expect_version: int | None = None,
        cache: RequirementCache | None = None,
        retries: int = 8,
        at_risk: Collection[str] = (),
    ) -> Offer | None:
        """The agent goes READY (as :meth:`agent_ready`) and the contact
        ``best_contact_for_agent`` chooses among the waiting lists of their services, of the
        services overflowing to those, and ``lists`` (no live state) is reserved for them
        (as :meth:`reserve`), with the decision and its trace; None when nothing fits or the
        agent cannot take a contact (unreachable, holding one). Here: :func:`offer_for_agent`
        over :meth:`agent_ready`'s heads (a contact taken meanwhile is skipped, ``retries``
        times); the Redis store decides and reserves in one script. ``at_risk``: services
        behind their service level, whose contacts gain ``behind_lift`` (live state has no
        other part here: configurations with live-state relaxation triggers are decided by
        the whole round)."""
        from routing.state.offer import offer_for_agent  # offer builds on this module

        if k < 1 or max_k < k:
            raise StateError("need 1 <= k <= max_k")
        view, heads = await self.agent_ready(agent_id, k, expect_version=expect_version)
        if not view.reachable or view.contact_id is not None:
            return None
        agent = view.agent
        return await offer_for_agent(
            self,
            agent,
            ttl_s=ttl_s,
            cache=cache,
            k=k,
            max_k=max_k,
            retries=retries,
            heads=heads,
            lists={*agent.services, *lists, *overflow_sources(self.services, agent.services)},
            live=risk_flags(at_risk) if at_risk else None,
        )

    @abstractmethod
    async def set_presence(self, agent_id: str, reachable: bool) -> AgentView:
        """Device state: an unreachable agent keeps their state but is offered nothing."""

    @abstractmethod
    async def get_agent(self, agent_id: str) -> AgentView | None: ...

    @abstractmethod
    async def agents(self) -> list[AgentView]:
        """Every agent, sorted by id (``GET /api/agents``)."""

    @abstractmethod
    async def agents_at(self, endpoint: str) -> list[AgentView]:
        """The agents whose phone is ``endpoint`` (what device state names), sorted by id."""

    @abstractmethod
    async def ready_agents(self, service: str | None = None) -> list[Agent]:
        """Agents who can be offered a contact now (READY, reachable, holding nothing),
        optionally only members of ``service``; sorted by id."""

    # --- contacts -------------------------------------------------------------------------

    @abstractmethod
    async def enqueue(self, contact: Contact, meta: Mapping[str, Any] | None = None) -> ContactView:
        """Queue a waiting contact in its service's list. ``contact.excluded`` seeds its
        ``rejected_by``; ``meta`` (JSON values) is kept for the adapter (channel, ...).
        :class:`TransitionError` if the id is already queued."""

    @abstractmethod
    async def list_under(self, contact_id: str, service: str) -> ContactView:
        """Also list the contact in ``service``'s waiting list (after overflow), so agents
        of that service find it at its place; it stays a contact of its own service."""

    @abstractmethod
    async def update_meta(self, contact_id: str, meta: Mapping[str, Any]) -> ContactView:
        """Set (merge) the adapter's extra fields of a contact."""

    @abstractmethod
    async def remove_contact(self, contact_id: str) -> Removed | None:
        """The caller left. Waiting or offered: ``abandoned`` (a ringing agent is READY
        again); active: ``ended`` (the agent goes to WRAP_UP for the service's
        ``wrap_up_s``, or READY if that is 0). None if the contact is not known."""

    @abstractmethod
    async def get_contact(self, contact_id: str) -> ContactView | None: ...

    @abstractmethod
    async def contacts(self) -> list[ContactView]:
        """Waiting, offered and active contacts, oldest first (``GET /api/contacts``)."""

    @abstractmethod
    async def waiting(self, service: str, limit: int | None = None) -> list[Contact]:
        """The waiting list of ``service``, best first (at most ``limit``)."""

    @abstractmethod
    async def heads(self, services: Iterable[str], k: int) -> Heads:
        """The first ``k`` waiting contacts of each of ``services`` and the affinity of
        their customers: the input of ``best_contact_for_agent`` for one agent."""

    @abstractmethod
    async def affinity(self, customer_ids: Iterable[str]) -> Affinity:
        """Who last answered each of these customers, and when."""

    async def snapshot(self) -> Snapshot:
        """Ready agents, every waiting list and the affinity of waiting customers: the
        input of ``routing.core.assign``. Not one atomic read in Redis; reservations
        re-check everything, so a stale picture costs a refused reservation, nothing more."""
        now = self.clock()
        waiting = {name: await self.waiting(name) for name in sorted(self.services)}
        customers = {c.customer_id for cs in waiting.values() for c in cs if c.customer_id}
        return Snapshot(
            agents=await self.ready_agents(),
            waiting={name: cs for name, cs in waiting.items() if cs},
            affinity=await self.affinity(customers),
            taken_at=now,
        )

    @abstractmethod
    async def service_levels(self) -> dict[str, Tally]:
        """Per service of :attr:`services`, what its service level counts now: outcomes in
        its ``sl_window_s`` (met or missed the target, abandons as missed) and contacts not
        answered yet that waited more than ``sl_target_s`` (``routing.core.service_level``)."""

    @abstractmethod
    async def entered_between(self, service: str, after: float, upto: float) -> list[str]:
        """The contacts of ``service`` (their own service, not one they were listed under)
        not answered yet (waiting or offered) that entered in ``(after, upto]``: those whose
        wait crossed a time in that span (the router's tick decides for them)."""

    # --- reservations ---------------------------------------------------------------------

    @abstractmethod
    async def reserve(self, contact_id: str, agent_id: str, ttl_s: float) -> Reservation | Refused:
        """Offer the contact to the agent, atomically: only if the agent is READY,
        reachable and holds no contact, and the contact is waiting (offered to nobody) and
        was not rung out by this agent. The agent becomes RESERVED and the contact leaves
        its waiting lists until :meth:`confirm`, :meth:`release` or expiry (``ttl_s``)."""

    @abstractmethod
    async def confirm(self, contact_id: str, *, token: int | None = None) -> Confirmed:
        """The agent answered: contact active, agent ON_CALL, affinity recorded.
        :class:`TransitionError` unless offered; :class:`StaleVersion` if ``token`` is
        given and is not the current reservation's."""

    @abstractmethod
    async def release(
        self, contact_id: str, *, token: int | None = None, reason: str = MISSED
    ) -> Released:
        """No answer: the contact waits again at its place, minus this agent; the agent is
        NOT_READY with ``reason``. Errors as :meth:`confirm`."""

    @abstractmethod
    async def sweep(self, limit: int = 100) -> Swept:
        """Release reservations past their expiry (reason "missed") and end wrap-ups that
        are due (agent READY), at most ``limit`` of each. Atomic per call: any number of
        instances may sweep at once and each item is handled once."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections (nothing to do in memory)."""
