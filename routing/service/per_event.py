"""Deciding per event: when one agent becomes ready, or one contact is queued, decide for
that agent or that contact alone instead of over the whole routing state.

- An agent becomes ready: :meth:`routing.state.RoutingState.ready_and_offer` makes them
  ready and reserves the contact ``routing.core``'s ``best_contact_for_agent`` chooses from
  the heads of their services' waiting lists (further only when an unread contact might
  outrank the choice), with its trace; the Redis store does it in one Lua script
  (:mod:`routing.state.lua_decide`), the in-process store with
  :func:`routing.state.offer.offer_for_agent`.
- A contact is queued: :func:`routing.state.offer.offer_for_contact` scores the ready
  members of its target service with ``best_agent_for_contact`` (the agent ranking
  ``assign`` uses for one contact).

In a steady state (no ready agent had an eligible waiting contact before the event) the
choice is the one ``routing.core.assign`` makes over the whole snapshot
(``tests/test_routing_per_event.py`` checks it on random states). What time alone changes
(relaxation over waiting time, expired offers, ended wrap-ups) is decided the same way on
the tick (:mod:`routing.service.tick`); the leader's whole round (``Router.dispatch``) every
few seconds settles anything an event did not. A contact that overflowed by relaxation is
only in its own service's list: an agent of the target service also reads the lists of the
services that overflow to theirs (:func:`routing.core.relax.overflow_sources`), where
``best_contact_for_agent`` takes the overflowed contacts and rejects the others (not in
service).

Live-state relaxation triggers (no eligible agent ready, service level at risk, queue
length) let one event change every contact's requirements in a service: while a service
has them, :func:`exact` is False and the router runs the full round on every event.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from routing.core.model import Service
from routing.core.relax import RequirementCache
from routing.core.service_level import risk_flags
from routing.core.trace import Decision
from routing.state import Reservation, RoutingState
from routing.state.offer import Offer, offer_for_contact

HEADS_K = 1  # first contacts read per waiting list (then further, by doubling, where needed)
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


async def for_agent(
    state: RoutingState,
    agent_id: str,
    *,
    ttl_s: float,
    cache: RequirementCache,
    expect_version: int | None = None,
    at_risk: Collection[str] = (),
) -> EventOffer | None:
    """``agent_id`` becomes ready (or is ready with nothing to do): reserve their best
    waiting contact, in one step (:meth:`RoutingState.ready_and_offer`: the agent's lists,
    those of the services overflowing to theirs). None when they cannot take one
    (unreachable, holding a contact) or nothing fits. ``at_risk``: services behind their
    service level (their contacts gain ``behind_lift``, as in the whole round)."""
    started = time.perf_counter()
    offer = await state.ready_and_offer(
        agent_id,
        ttl_s,
        k=HEADS_K,
        cache=cache,
        retries=RETRIES,
        expect_version=expect_version,
        at_risk=at_risk,
    )
    return _offer(offer, started)


async def for_contact(
    state: RoutingState,
    contact_id: str,
    *,
    ttl_s: float,
    cache: RequirementCache,
    at_risk: Collection[str] = (),
) -> EventOffer | None:
    """``contact_id`` was queued (or waits again): reserve the best ready agent of its
    target service. ``at_risk``: services behind their service level (as for_agent)."""
    started = time.perf_counter()
    live = risk_flags(at_risk) if at_risk else None
    offer = await offer_for_contact(
        state, contact_id, ttl_s=ttl_s, cache=cache, retries=RETRIES, live=live
    )
    return _offer(offer, started)
