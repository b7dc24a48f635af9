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

from routing.core.model import AgentState, Service
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
    agent = view.agent
    offer = await offer_for_agent(
        state,
        agent,
        ttl_s=ttl_s,
        cache=cache,
        k=k,
        retries=RETRIES,
        heads=heads,
        lists=set(agent.services) | sources(state.services, agent.services),
    )
    return _offer(offer, started)


async def for_contact(
    state: RoutingState, contact_id: str, *, ttl_s: float, cache: RequirementCache
) -> EventOffer | None:
    """``contact_id`` was queued: reserve the best ready agent of its target service."""
    started = time.perf_counter()
    offer = await offer_for_contact(state, contact_id, ttl_s=ttl_s, cache=cache, retries=RETRIES)
    return _offer(offer, started)
