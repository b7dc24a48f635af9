"""Decide and reserve in one step: the pure core chooses, the state reserves atomically.

Another instance may take the chosen contact (or agent) between the read and the
reservation; the reservation then comes back :class:`Refused` and the next best choice is
tried. Nothing here holds a lock: the store's atomic ``reserve`` is the only arbiter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from routing.core.decide import best_agent_for_contact, best_contact_for_agent
from routing.core.heads import ceiling, lists_to_extend
from routing.core.model import NO_LIVE, Agent, ServiceLive
from routing.core.relax import RequirementCache
from routing.core.trace import Decision
from routing.state.base import RoutingState
from routing.state.model import Heads, Offer, RefuseReason, Reservation

Live = Mapping[str, ServiceLive]
_CONTACT_GONE = (RefuseReason.NO_CONTACT, RefuseReason.CONTACT_NOT_WAITING)


async def offer_for_agent(
    state: RoutingState,
    agent: Agent,
    *,
    ttl_s: float,
    cache: RequirementCache | None = None,
    live: Live | None = None,
    k: int = 20,
    max_k: int = 320,
    retries: int = 8,
    heads: Heads | None = None,
    lists: Iterable[str] | None = None,
) -> Offer | None:
    """An agent became ready: reserve the best waiting contact of their services for them.

    Reads the first ``k`` contacts of each of the agent's waiting lists, lets
    ``best_contact_for_agent`` choose, and reserves. While a list was cut off where an
    unread contact might still outrank the choice (or nothing fits and a list has more),
    ``k`` doubles, up to ``max_k`` (see :mod:`routing.core.heads`): below ``max_k`` the
    choice is the one the whole lists would give. A contact taken meanwhile is skipped
    and the next best tried (``retries`` times). None when nothing fits or the agent can no
    longer take a contact. ``heads``: what :meth:`RoutingState.agent_ready` returned for
    this agent with this ``k`` (saves the first read; lists it lacks are read). ``lists``: the
    waiting lists to read (default: the agent's services).
    """
    services = state.services
    names = sorted(set(agent.services if lists is None else lists))
    cache = cache if cache is not None else RequirementCache(services)
    most = ceiling(services.values(), live)
    skipped: set[str] = set()
    attempts = 0
    while True:
        heads = await _read(state, names, k, heads)
        candidates = {c.id: c for c in heads.contacts() if c.id not in skipped}
        while True:
            now = state.clock()
            decision = best_contact_for_agent(
                agent,
                candidates.values(),
                services,
                now,
                live=live,
                affinity=heads.affinity,
                cache=cache,
            )
            chosen = candidates[decision.contact_id] if decision is not None else None
            if k < max_k and lists_to_extend(
                chosen, heads.by_service, k, services, now, live, most
            ):
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


async def _read(state: RoutingState, names: Sequence[str], k: int, have: Heads | None) -> Heads:
    """The first ``k`` contacts of each of ``names``' lists, reusing those ``have`` holds."""
    held = have.by_service if have is not None else {}
    missing = [name for name in names if name not in held]
    if have is not None and not missing:
        return have
    read = await state.heads(missing, k)
    if have is None:
        return read
    return Heads({**held, **read.by_service}, {**have.affinity, **read.affinity})


async def offer_for_contact(
    state: RoutingState,
    contact_id: str,
    *,
    ttl_s: float,
    cache: RequirementCache | None = None,
    live: Live | None = None,
    retries: int = 8,
) -> Offer | Decision | None:
    """A contact arrived or relaxed: reserve the best ready agent for it.

    Candidates are the ready members of the contact's target service (after relaxation and
    overflow). Returns the :class:`Offer`, or the :class:`Decision` saying why nobody could
    take it (its trace lists the candidates and reasons), or None if the contact is not
    waiting. An agent taken meanwhile is skipped and the next best tried.
    """
    services = state.services
    cache = cache if cache is not None else RequirementCache(services)
    skipped: set[str] = set()
    for attempt in range(1, retries + 2):
        view = await state.get_contact(contact_id)
        if view is None or view.phase != "waiting":
            return None
        contact, service = view.contact, services[view.contact.service]
        now = state.clock()
        applied = cache.applied(contact, service, now, (live or {}).get(service.name, NO_LIVE))
        target = cache.get(contact, service, applied).service_name
        agents = [a for a in await state.ready_agents(target) if a.id not in skipped]
        customers = [contact.customer_id] if contact.customer_id else []
        affinity = await state.affinity(customers)
        decision = best_agent_for_contact(
            contact, agents, services, now, live=live, affinity=affinity, cache=cache
        )
        if decision.agent_id is None:
            return decision
        result = await state.reserve(contact_id, decision.agent_id, ttl_s)
        if isinstance(result, Reservation):
            return Offer(result, decision, attempt)
        if result.reason in _CONTACT_GONE:
            return None  # taken by another instance, or abandoned
        skipped.add(decision.agent_id)
    return None
