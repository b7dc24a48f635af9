"""Requirement relaxation: what a contact needs now, given how long it waited and live state.

A contact's base requirements are its service's ``requires`` merged with its own
``required`` (the higher level wins). Then every relaxation step of its service whose
triggers hold is applied, in declared order (steps are cumulative; a later time step can
apply while an earlier live-state step does not). An overflow step replaces the requirements
with the target service's ``requires`` and makes that service the target; the target's own
relaxation steps do not apply, later steps of the contact's service still do.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Collection, Iterable, Mapping
from typing import NamedTuple

from routing.core.model import (
    NO_LIVE,
    Agent,
    AgentState,
    Contact,
    RelaxStep,
    Requirement,
    Service,
    ServiceLive,
    requirements,
)

LANGUAGE_SLOT = "{language}"


class Effective(NamedTuple):
    reqs: tuple[Requirement, ...]
    step_index: int  # last step applied; -1: none
    service_name: str  # the target service (differs from contact.service after overflow)


def triggered(step: RelaxStep, waited_s: float, live: ServiceLive) -> bool:
    """Whether ``step``'s triggers hold for a contact that waited ``waited_s``."""
    checks: list[bool] = []
    if step.after_s is not None:
        checks.append(waited_s >= step.after_s)
    if step.no_eligible_ready:
        checks.append(live.ready_eligible == 0)
    if step.sl_at_risk:
        checks.append(live.sl_at_risk)
    if step.queue_length_at_least is not None:
        checks.append(live.queue_length >= step.queue_length_at_least)
    if not checks:
        return False
    return all(checks) if step.match == "all" else any(checks)


def applied_steps(
    contact: Contact, service: Service, now: float, live: ServiceLive = NO_LIVE
) -> tuple[int, ...]:
    """Indexes of ``service.relax`` steps in force for ``contact`` at ``now``."""
    waited = now - contact.entered_at
    return tuple(i for i, step in enumerate(service.relax) if triggered(step, waited, live))


def effective_requirements(
    contact: Contact,
    service: Service,
    now: float,
    live: ServiceLive = NO_LIVE,
    services: Mapping[str, Service] | None = None,
) -> Effective:
    """The contact's requirements at ``now``, the last step applied and the target service.

    ``service`` is the contact's own service; ``services`` is needed only to look up an
    overflow target's requirements.
    """
    return resolve(contact, service, applied_steps(contact, service, now, live), services)


def resolve(
    contact: Contact,
    service: Service,
    applied: tuple[int, ...],
    services: Mapping[str, Service] | None = None,
) -> Effective:
    """The requirements once the ``applied`` steps of ``service`` are in force."""
    levels = dict(service.requires)
    for skill, level in contact.required.items():
        levels[skill] = max(level, levels.get(skill, 0))
    target = service.name
    for i in applied:
        step = service.relax[i]
        if step.overflow_to is not None:
            if services is None or step.overflow_to not in services:
                raise ValueError(
                    f"service {service.name!r} overflows to unknown service {step.overflow_to!r}"
                )
            target = step.overflow_to
            levels = dict(services[target].requires)
        _apply(step, levels, contact.language)
    return Effective(requirements(levels), applied[-1] if applied else -1, target)


def step_thresholds(service: Service, live: ServiceLive) -> tuple[float, ...]:
    """Per relaxation step, the wait from which it applies under ``live`` (inf: never).

    With live state fixed, every step is "waited >= threshold": ``triggered(step, w, live)
    == (w >= step_thresholds(service, live)[i])``.
    """
    out = []
    for step in service.relax:
        flags = []
        if step.no_eligible_ready:
            flags.append(live.ready_eligible == 0)
        if step.sl_at_risk:
            flags.append(live.sl_at_risk)
        if step.queue_length_at_least is not None:
            flags.append(live.queue_length >= step.queue_length_at_least)
        after = step.after_s
        if step.match == "all":
            held = all(flags) and (bool(flags) or after is not None)
            out.append(math.inf if not held else (after if after is not None else -math.inf))
        elif any(flags):
            out.append(-math.inf)
        else:
            out.append(after if after is not None else math.inf)
    return tuple(out)


class RequirementCache:
    """Effective requirements, computed once per kind of contact and reused across calls.

    A contact's requirements depend on its service, the steps it reached, its own
    requirements and its language, not on the clock, so results are kept (up to
    ``max_entries``, then cleared). Build one per routing configuration and pass it to the
    decision functions; they ignore a cache built for another ``services`` mapping.
    """

    def __init__(self, services: Mapping[str, Service], max_entries: int = 50_000) -> None:
        self.services = services
        self.max_entries = max_entries
        self._thresholds: dict[tuple[str, ServiceLive], _StepTable] = {}
        self._results: dict[tuple[object, ...], Effective] = {}

    def applied(
        self, contact: Contact, service: Service, now: float, live: ServiceLive = NO_LIVE
    ) -> tuple[int, ...]:
        """What ``applied_steps`` returns."""
        if not service.relax:
            return ()
        key = (service.name, live)
        table = self._thresholds.get(key)
        if table is None:
            if len(self._thresholds) >= self.max_entries:
                self._thresholds.clear()
            table = self._thresholds[key] = _step_table(step_thresholds(service, live))
        bounds, applied = table
        return applied[bisect_right(bounds, now - contact.entered_at)]

    def get(self, contact: Contact, service: Service, applied: tuple[int, ...]) -> Effective:
        """What ``effective_requirements`` returns, given ``applied`` from :meth:`applied`."""
        own = tuple(sorted(contact.required.items())) if contact.required else ()
        key = (service.name, applied, own, contact.language)
        result = self._results.get(key)
        if result is None:
            if len(self._results) >= self.max_entries:
                self._results.clear()
            result = self._results[key] = resolve(contact, service, applied, self.services)
        return result


_StepTable = tuple[list[float], list[tuple[int, ...]]]


def _step_table(thresholds: tuple[float, ...]) -> _StepTable:
    """Distinct finite thresholds, ascending, and the steps applied below, between and above
    them: waited w applies ``applied[bisect_right(bounds, w)]``."""
    bounds = sorted({th for th in thresholds if th != math.inf})
    applied = [tuple(i for i, th in enumerate(thresholds) if th == -math.inf)]
    for bound in bounds:
        applied.append(tuple(i for i, th in enumerate(thresholds) if th <= bound))
    return bounds, applied


def _apply(step: RelaxStep, levels: dict[str, int], language: str | None) -> None:
    for skill in step.drop:
        levels.pop(skill, None)
    for skill, level in step.set.items():
        if skill in levels:
            levels[skill] = level
    for skill, level in step.add.items():
        if LANGUAGE_SLOT in skill:
            if language is None:
                continue
            skill = skill.replace(LANGUAGE_SLOT, language)
        levels[skill] = level


def overflow_sources(services: Mapping[str, Service], names: Iterable[str]) -> set[str]:
    """The services (but ``names``) with a relaxation step that overflows to one of
    ``names``: an overflowed contact stays in its own service's waiting list, so an agent
    of ``names`` reads those lists too."""
    wanted = set(names)
    return {
        name
        for name, service in services.items()
        if name not in wanted and any(step.overflow_to in wanted for step in service.relax)
    }


def meets(agent: Agent, reqs: Iterable[Requirement]) -> bool:
    """Whether the agent has every skill at the required level (state not considered)."""
    skills = agent.skills
    return all(skills.get(r.skill, 0) >= r.level for r in reqs)


def live_snapshot(
    contacts: Iterable[Contact],
    agents: Iterable[Agent],
    services: Mapping[str, Service],
    sl_at_risk: Collection[str] = (),
) -> dict[str, ServiceLive]:
    """Live state per service from a full picture: waiting contacts per service, ready members
    meeting the service's base requirements, and the services the caller measured behind
    their service-level target. Adapters that keep counters can build ServiceLive directly."""
    queue: dict[str, int] = dict.fromkeys(services, 0)
    for contact in contacts:
        if contact.service in queue:
            queue[contact.service] += 1
    ready = dict.fromkeys(services, 0)
    base = {name: requirements(s.requires) for name, s in services.items()}
    for agent in agents:
        if agent.state is not AgentState.READY:
            continue
        for name in agent.services:
            if name in base and meets(agent, base[name]):
                ready[name] += 1
    return {name: ServiceLive(queue[name], ready[name], name in sl_at_risk) for name in services}
