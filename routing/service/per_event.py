"""Deciding per event: when one agent becomes ready, or one contact is queued, decide for
that agent or that contact alone instead of over the whole routing state.

- An agent becomes ready: :func:`routing.state.offer.offer_for_agent` reads the heads of
  their services' waiting lists (further only when an unread contact might outrank the
  choice) and ``routing.core``'s ``best_contact_for_agent`` chooses.
- A contact is queued: :func:`routing.state.offer.offer_for_contact` scores the ready
  members of its target service with ``best_agent_for_contact`` (the agent ranking
  ``assign`` uses for one contact).

In a steady state (no ready agent had an eligible waiting contact before the event) the
choice is the one ``routing.core.assign`` makes over the whole snapshot
(``tests/test_routing_per_event.py`` checks it on random states). The router's periodic
round (``Router.dispatch``) still runs ``assign`` for relaxation over waiting time and
anything an event did not settle. A contact that overflowed by relaxation is only in its own
service's list: an agent of the target service also reads the lists of the services that
overflow to theirs (:func:`sources`), where ``best_contact_for_agent`` takes the overflowed
contacts and rejects the others (not in service).

Live-state relaxation triggers (no eligible agent ready, service level at risk, queue
length) let one event change every contact's requirements in a service: while a service
has them, :func:`exact` is False and the router runs the full round on every event.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from routing.core.decide import best_contact_for_agent
from routing.core.heads import ceiling, lists_to_extend
from routing.core.model import Agent, AgentState, Service
from routing.core.relax import RequirementCache
from routing.core.trace import Decision
from routing.state import AgentView, Heads, Reservation, RoutingState
from routing.state.offer import Offer, offer_for_agent, offer_for_contact

HEADS_K = 8  # first contacts read per waiting list when an agent becomes ready
# Contacts another decider took first, skipped before giving up (the periodic round then
# decides for the agent): agents made ready together all choose the same first contact.
RETRIES = 64


def exact(services: Mapping[str, Service]) -> bool:
    """Whether per-event decisions equal the whole round's: no relaxation step of any
    service has a live-state trigger."""
    return not any(
        step.no_eligible_ready or step.sl_at_risk or step.queue_length_at_least is not None
        for service in services.values()
        for step in service.relax
    )


@dataclass(frozen=True, slots=True)
class EventOffer:
    """A reservation made for one event, the decision behind it and how long deciding took
    (reads, choice and reservation)."""

    reservation: Reservation
    decision: Decision
    decision_ms: float


def _offer(offer: Offer | Decision | None, started: float) -> EventOffer | None:
    if not isinstance(offer, Offer):
        return None
    ms = (time.perf_counter() - started) * 1000
    return EventOffer(offer.reservation, offer.decision, ms)


def sources(services: Mapping[str, Service], names: Iterable[str]) -> set[str]:
    """The services (but ``names``) with a relaxation step that overflows to one of ``names``."""
    wanted = set(names)
    return {
        name
        for name, service in services.items()
        if name not in wanted and any(step.overflow_to in wanted for step in service.relax)
    }


async def _heads(state: RoutingState, names: Iterable[str], k: int, more: Heads | None) -> Heads:
    """The first ``k`` of each of ``names``' lists, reusing the lists ``more`` has."""
    have = more.by_service if more is not None else {}
    missing = sorted(set(names) - set(have))
    if not missing and more is not None:
        return more
    read = await state.heads(missing, k)
    if more is None:
        return read
    return Heads({**have, **read.by_service}, {**more.affinity, **read.affinity})


async def offer_with_sources(
    state: RoutingState,
    agent: Agent,
    *,
    ttl_s: float,
    cache: RequirementCache,
    k: int = HEADS_K,
    max_k: int = 320,
    retries: int = RETRIES,
    heads: Heads | None = None,
) -> Offer | None:
    """:func:`routing.state.offer.offer_for_agent` over the agent's services' lists and
    those of the services that overflow to them (no live state: see :func:`exact`)."""
    services = state.services
    names = set(agent.services) | sources(services, agent.services)
    most = ceiling(services.values())
    skipped: set[str] = set()
    attempts = 0
    while True:
        heads = await _heads(state, names, k, heads)
        candidates = {c.id: c for c in heads.contacts() if c.id not in skipped}
        while True:
            now = state.clock()
            decision = best_contact_for_agent(
                agent, candidates.values(), services, now, affinity=heads.affinity, cache=cache
            )
            chosen = candidates[decision.contact_id] if decision is not None else None
            lists = heads.by_service
            if k < max_k and lists_to_extend(chosen, lists, k, services, now, None, most):
                break  # something not read yet might outrank the choice: read further
            if decision is None:
                return None
            result = await state.reserve(decision.contact_id, agent.id, ttl_s)
            attempts += 1
            if isinstance(result, Reservation):
                return Offer(result, decision, attempts)
            if result.reason.agent_side or attempts > retries:
                return None
            skipped.add(decision.contact_id)
            del candidates[decision.contact_id]
        k, heads = k * 2, None


async def for_agent(
    state: RoutingState,
    view: AgentView,
    *,
    ttl_s: float,
    cache: RequirementCache,
    heads: Heads | None = None,
    k: int = HEADS_K,
) -> EventOffer | None:
    """``view``'s agent is ready: reserve their best waiting contact. None when they cannot
    take one (not ready, unreachable, holding a contact) or nothing fits. ``heads``: what
    :meth:`RoutingState.agent_ready` returned for them with this ``k``."""
    if view.state is not AgentState.READY or not view.reachable or view.contact_id is not None:
        return None
    started = time.perf_counter()
    if sources(state.services, view.agent.services):
        offer = await offer_with_sources(
            state, view.agent, ttl_s=ttl_s, cache=cache, k=k, heads=heads
        )
    else:
        offer = await offer_for_agent(state, view.agent, ttl_s=ttl_s, cache=cache, k=k, heads=heads)
    return _offer(offer, started)


async def for_contact(
    state: RoutingState, contact_id: str, *, ttl_s: float, cache: RequirementCache
) -> EventOffer | None:
    """``contact_id`` was queued: reserve the best ready agent of its target service."""
    started = time.perf_counter()
    offer = await offer_for_contact(state, contact_id, ttl_s=ttl_s, cache=cache, retries=RETRIES)
    return _offer(offer, started)
