"""Routing decisions: which ready agent takes which waiting contact, and why.

One rule serves every trigger. Order the contacts by :func:`contact_score` (one formula
across services); give each, in that order, its best eligible agent by :func:`agent_score`;
skip contacts no free agent can take. :func:`assign` does this for a whole picture;
:func:`best_agent_for_contact` (a contact arrives or relaxes) and
:func:`best_contact_for_agent` (an agent becomes ready) are the same rule with one side
reduced to a single element, so each pair ``assign`` makes is also what both of them would
choose for the agents and contacts still free at that point.

Index contract for callers at scale (thousands of contacts and agents): keep one waiting list
per service ordered by :func:`routing.core.score.index_key` (time-free, higher first), and
list an overflowed contact under its target service too. When an agent becomes ready, pass
``best_contact_for_agent`` the heads of the lists of the agent's services. Exact: from each
list, every contact down to ``max_risk_s`` below the key of the first contact there the agent
is eligible for (nothing further down can outrank that one). In practice: the top K (e.g.
20-50) per service, and the next K if none of them fits the agent. When a contact arrives
or relaxes, pass ``best_agent_for_contact`` the ready members of its target service (all
members only if the trace should list the busy and absent ones too). Pass one long-lived
:class:`routing.core.relax.RequirementCache` per configuration as ``cache``.

Agent and contact ids must be unique within one call; later duplicates are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from routing.core.model import (
    NO_LIVE,
    Agent,
    AgentState,
    Contact,
    Requirement,
    Service,
    ServiceLive,
)
from routing.core.relax import Effective, RequirementCache, effective_requirements
from routing.core.score import (
    Affinity,
    affinity_hit,
    agent_rank,
    agent_score,
    contact_rank,
    contact_score,
)
from routing.core.trace import (
    MAX_LISTED_REJECTIONS,
    Decision,
    Rejection,
    RejectReason,
    ScoreTerms,
    Trace,
)

__all__ = [
    "UnknownService",
    "agent_score",
    "assign",
    "best_agent_for_contact",
    "best_contact_for_agent",
    "contact_score",
    "effective_requirements",
    "eligible",
    "why_not",
]

Live = Mapping[str, ServiceLive]


class UnknownService(ValueError):
    """A contact names a service the routing configuration does not have."""


_READY = AgentState.READY


def why_not(
    agent: Agent,
    reqs: Iterable[Requirement],
    contact: Contact,
    service: str | None = None,
) -> RejectReason | None:
    """The reason :func:`eligible` would give, without building the rejection (hot paths)."""
    if service is not None and service not in agent.services:
        return RejectReason.NOT_IN_SERVICE
    state = agent.state
    if state is not _READY:
        return RejectReason.BUSY if state.busy else RejectReason.NOT_READY
    if agent.id in contact.excluded:
        return RejectReason.RANG_OUT
    skills = agent.skills
    for r in reqs:
        level = skills.get(r.skill)
        if level is None:
            return RejectReason.MISSING_SKILL
        if level < r.level:
            return RejectReason.LEVEL_TOO_LOW
    return None


def eligible(
    agent: Agent,
    reqs: Iterable[Requirement],
    contact: Contact,
    service: str | None = None,
) -> Rejection | None:
    """None if ``agent`` may take ``contact`` under ``reqs`` now, else the first reason not.

    Checked in order: membership of ``service`` (when given), state, rang out, each skill.
    """
    reason = why_not(agent, reqs, contact, service)
    return None if reason is None else _rejection(agent, reqs, contact, service, reason)


def _rejection(
    agent: Agent,
    reqs: Iterable[Requirement],
    contact: Contact,
    service: str | None,
    reason: RejectReason,
) -> Rejection:
    cid = contact.id
    if reason is RejectReason.NOT_IN_SERVICE:
        return Rejection(agent.id, reason, contact_id=cid, detail=service)
    if reason in (RejectReason.BUSY, RejectReason.NOT_READY):
        detail = agent.not_ready_reason or agent.state.value
        return Rejection(agent.id, reason, contact_id=cid, detail=detail)
    for r in reqs:
        level = agent.skills.get(r.skill)
        if level is None:
            return Rejection(agent.id, reason, r.skill, contact_id=cid)
        if level < r.level:
            return Rejection(agent.id, reason, r.skill, level, r.level, contact_id=cid)
    return Rejection(agent.id, reason, contact_id=cid)  # RANG_OUT


class _Plan(NamedTuple):
    contact: Contact
    service: Service
    live: ServiceLive
    steps: tuple[int, ...]
    eff: Effective


_Scored = tuple[tuple[float, float, str], Contact, Service, ServiceLive]


def _score(
    contacts: Iterable[Contact], services: Mapping[str, Service], now: float, live: Live | None
) -> list[_Scored]:
    """Unique contacts with their rank, service and live state, best first."""
    out: list[_Scored] = []
    seen: set[str] = set()
    for contact in contacts:
        if contact.id in seen:
            continue
        seen.add(contact.id)
        service = services.get(contact.service)
        if service is None:
            raise UnknownService(f"contact {contact.id!r}: unknown service {contact.service!r}")
        lv = live.get(contact.service, NO_LIVE) if live else NO_LIVE
        out.append((contact_rank(contact, service, now, lv), contact, service, lv))
    out.sort(key=lambda item: item[0])
    return out


def _plan(
    contact: Contact, service: Service, lv: ServiceLive, now: float, cache: RequirementCache
) -> _Plan:
    steps = cache.applied(contact, service, now, lv)
    return _Plan(contact, service, lv, steps, cache.get(contact, service, steps))


def _cache(services: Mapping[str, Service], cache: RequirementCache | None) -> RequirementCache:
    return cache if cache is not None and cache.services is services else RequirementCache(services)


def _best(
    plan: _Plan, pool: Iterable[Agent], taken: set[str], now: float, affinity: Affinity | None
) -> Agent | None:
    """Fast path of :func:`_explain`: the best agent in ``pool`` (ready members), no trace."""
    contact, reqs = plan.contact, plan.eff.reqs
    window = plan.service.affinity_window_s
    best: Agent | None = None
    best_rank: tuple[int, int, float, str] | None = None
    for agent in pool:
        if agent.id in taken or agent.id in contact.excluded:
            continue
        skills = agent.skills
        if any(skills.get(r.skill, 0) < r.level for r in reqs):
            continue
        rank = agent_rank(agent, reqs, affinity_hit(agent.id, contact, now, affinity, window), now)
        if best_rank is None or rank < best_rank:
            best, best_rank = agent, rank
    return best


def _explain(
    plan: _Plan,
    candidates: Iterable[Agent],
    taken: set[str],
    now: float,
    affinity: Affinity | None,
) -> tuple[Agent | None, Trace]:
    """Look at every candidate, rank the eligible ones, record why the others were not."""
    contact, reqs, target = plan.contact, plan.eff.reqs, plan.eff.service_name
    window = plan.service.affinity_window_s
    ranked: list[tuple[tuple[int, int, float, str], Agent]] = []
    listed: list[Rejection] = []
    counts: dict[RejectReason, int] = {}
    seen = 0
    for agent in candidates:
        seen += 1
        reason = why_not(agent, reqs, contact, target)
        reserved = reason is None and agent.id in taken
        if reserved:
            reason = RejectReason.BUSY
        if reason is not None:
            counts[reason] = counts.get(reason, 0) + 1
            if len(listed) < MAX_LISTED_REJECTIONS:
                listed.append(
                    Rejection(
                        agent.id, reason, contact_id=contact.id, detail="reserved in this pass"
                    )
                    if reserved
                    else _rejection(agent, reqs, contact, target, reason)
                )
            continue
        hit = affinity_hit(agent.id, contact, now, affinity, window)
        ranked.append((agent_rank(agent, reqs, hit, now), agent))
    ranked.sort(key=lambda pair: pair[0])
    best = ranked[0][1] if ranked else None
    runner = ranked[1][1] if len(ranked) > 1 else None
    trace = _trace(
        plan,
        now,
        agent_score(best, reqs, contact, now, affinity, window) if best else None,
        runner.id if runner else None,
        agent_score(runner, reqs, contact, now, affinity, window) if runner else None,
        seen,
        tuple(listed),
        counts,
    )
    return best, trace


def _trace(
    plan: _Plan,
    now: float,
    chosen: ScoreTerms | None,
    runner_up: str | None,
    runner_score: ScoreTerms | None,
    candidates: int,
    rejections: tuple[Rejection, ...],
    counts: dict[RejectReason, int],
) -> Trace:
    steps = plan.steps
    contact_terms = contact_score(plan.contact, plan.service, now, plan.live)
    return Trace(
        contact_id=plan.contact.id,
        service=plan.service.name,
        target_service=plan.eff.service_name,
        step_index=plan.eff.step_index,
        steps_applied=steps,
        step_reasons=tuple(plan.service.relax[i].describe() for i in steps),
        requirements=plan.eff.reqs,
        contact_score=contact_terms,
        agent_score=chosen,
        runner_up=runner_up,
        runner_up_score=runner_score,
        candidates=candidates,
        rejections=rejections,
        rejected_by_reason=counts,
    )


def assign(
    contacts: Iterable[Contact],
    agents: Iterable[Agent],
    services: Mapping[str, Service],
    now: float,
    live: Live | None = None,
    affinity: Affinity | None = None,
    cache: RequirementCache | None = None,
) -> list[Decision]:
    """Match as many (contact, agent) pairs as possible in one greedy pass.

    Contacts in contact-score order, each to its best free eligible agent. Returns only the
    matches, in that order; a contact no free agent can take stays waiting. ``live``: state
    per service for live relaxation triggers (missing: nothing known); ``affinity``:
    customer id -> (agent id, served at).
    """
    members: dict[str, list[Agent]] = {}
    ready: dict[str, list[Agent]] = {}
    seen: set[str] = set()
    free = 0
    for agent in agents:
        if agent.id in seen:
            continue
        seen.add(agent.id)
        free += agent.state is AgentState.READY
        for name in agent.services:
            members.setdefault(name, []).append(agent)
            if agent.state is AgentState.READY:
                ready.setdefault(name, []).append(agent)
    taken: set[str] = set()
    decisions: list[Decision] = []
    cache = _cache(services, cache)
    for _, contact, service, lv in _score(contacts, services, now, live):
        if free == 0:
            break
        plan = _plan(contact, service, lv, now, cache)
        pool = ready.get(plan.eff.service_name)
        if not pool:
            continue
        if _best(plan, pool, taken, now, affinity) is None:
            continue
        # Same rule as the fast path, over every member, so the trace lists the rest.
        agent, trace = _explain(plan, members[plan.eff.service_name], taken, now, affinity)
        if agent is None:
            continue
        taken.add(agent.id)
        free -= 1
        decisions.append(Decision(contact.id, agent.id, trace))
    return decisions


def best_agent_for_contact(
    contact: Contact,
    agents: Iterable[Agent],
    services: Mapping[str, Service],
    now: float,
    live: Live | None = None,
    affinity: Affinity | None = None,
    cache: RequirementCache | None = None,
) -> Decision:
    """The agent ``assign`` would give this contact if it were first in line.

    ``agent_id`` is None when nobody can take it; the trace then says why, agent by agent.
    """
    [(_, contact, service, lv)] = _score([contact], services, now, live)
    plan = _plan(contact, service, lv, now, _cache(services, cache))
    unique: dict[str, Agent] = {}
    for agent in agents:
        unique.setdefault(agent.id, agent)
    chosen, trace = _explain(plan, unique.values(), set(), now, affinity)
    return Decision(contact.id, chosen.id if chosen else None, trace)


def best_contact_for_agent(
    agent: Agent,
    contacts: Iterable[Contact],
    services: Mapping[str, Service],
    now: float,
    live: Live | None = None,
    affinity: Affinity | None = None,
    cache: RequirementCache | None = None,
) -> Decision | None:
    """The highest-scoring contact ``agent`` is eligible for, or None.

    The trace lists the higher-scoring contacts the agent could not take (with contact ids).
    See the module docstring for which contacts to pass at scale.
    """
    if agent.state is not AgentState.READY:
        return None
    passed: list[Rejection] = []
    counts: dict[RejectReason, int] = {}
    cache = _cache(services, cache)
    for looked, (_, contact, service, lv) in enumerate(_score(contacts, services, now, live), 1):
        plan = _plan(contact, service, lv, now, cache)
        reqs, target = plan.eff.reqs, plan.eff.service_name
        reason = why_not(agent, reqs, contact, target)
        if reason is None:
            window = service.affinity_window_s
            chosen = agent_score(agent, reqs, contact, now, affinity, window)
            trace = _trace(plan, now, chosen, None, None, looked, tuple(passed), counts)
            return Decision(contact.id, agent.id, trace)
        counts[reason] = counts.get(reason, 0) + 1
        if len(passed) < MAX_LISTED_REJECTIONS:
            passed.append(_rejection(agent, reqs, contact, target, reason))
    return None
