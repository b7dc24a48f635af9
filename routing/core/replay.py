"""Replay recorded routing events through a routing configuration: a pure discrete-event run.

What the recording supplies and what the run decides:

* arrivals (time, service, customer, requirements) are replayed as recorded;
* ``agent_state`` ready / not_ready / offline say when an agent is available; recorded
  reserved / on_call / wrap_up states are ignored (the run derives them from its own
  routing); a break taken during a call starts after the wrap-up;
* talk time of a contact is its recorded ``end - answer``; contacts never answered in the
  recording talk for the mean recorded talk time of their service (else of all, else 180 s);
* a recorded ``abandon`` is the caller's patience: the contact abandons then if the run has
  not answered it yet; a contact answered in the recording never abandons;
* routing is :func:`routing.core.decide.assign` after every batch of events with one time,
  and at every relaxation threshold; an offer is answered at once (no ring time, no ring
  outs); the agent then talks, wraps up for the target service's ``wrap_up_s``, and is ready;
* a service behind its service level (:mod:`routing.core.service_level`, over the run's own
  answers and abandons in ``sl_window_s`` and its callers waiting past ``sl_target_s``, as
  the router measures it) gets its ``behind_lift`` and ``sl_at_risk`` relaxation steps;
  routing also runs when that can change (a caller passes the target, an outcome leaves
  the window), for services where it matters (``uses_level``).

At equal times: log events in file order, then call and wrap-up ends, then routing.
Per service (where the contact entered): offered, answered, abandoned, overflowed,
unfinished (still waiting when nothing is left to happen), service level % = answered
within ``sl_target_s`` / (answered + abandoned), ASA = mean wait of answered contacts,
abandon % = abandoned / offered.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from routing.core.config import RoutingConfig
from routing.core.decide import assign
from routing.core.events import Abandon, AgentChange, Answer, Arrival, End, Event
from routing.core.model import Agent, AgentState, Contact
from routing.core.relax import live_snapshot
from routing.core.service_level import LevelBook, at_risk, met_target, uses_level
from routing.core.stats import ServiceStats, side_by_side

DEFAULT_TALK_S = 180.0

__all__ = ["DEFAULT_TALK_S", "ReplayResult", "ServiceStats", "compare", "replay"]


@dataclass(frozen=True, slots=True)
class ReplayResult:
    services: dict[str, ServiceStats]
    total: ServiceStats
    unknown_agents: frozenset[str] = frozenset()  # in the events, not in the config
    unrouted_services: frozenset[str] = frozenset()  # arrivals for services not configured

    def to_dict(self) -> dict[str, object]:
        return {
            "services": {name: s.to_dict() for name, s in self.services.items()},
            "total": self.total.to_dict(),
            "unknown_agents": sorted(self.unknown_agents),
            "unrouted_services": sorted(self.unrouted_services),
        }


@dataclass(slots=True)
class _AgentSim:
    profile: Agent
    available: bool = False
    state: AgentState = AgentState.OFFLINE  # the last availability state recorded
    reason: str | None = None
    phase: AgentState = AgentState.READY  # READY (free), ON_CALL or WRAP_UP
    idle_since: float | None = None

    def view(self) -> Agent:
        if self.phase is not AgentState.READY:
            state = self.phase
        else:
            state = AgentState.READY if self.available else self.state
        reason = self.reason if state is AgentState.NOT_READY else None
        p = self.profile
        return Agent(p.id, p.skills, state, p.services, self.idle_since, p.team, p.endpoint, reason)


@dataclass(slots=True)
class _Run:
    config: RoutingConfig
    talk_s: dict[str, float]
    agents: dict[str, _AgentSim]
    stats: dict[str, ServiceStats]
    waiting: dict[str, Contact] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    affinity: dict[str, tuple[str, float]] = field(default_factory=dict)
    wrap_s: dict[str, float] = field(default_factory=dict)  # agent -> wrap-up of their call
    timers: list[tuple[float, int, str, str]] = field(default_factory=list)
    seq: int = 0
    unknown_agents: set[str] = field(default_factory=set)
    unrouted: set[str] = field(default_factory=set)
    levels: LevelBook = field(default_factory=LevelBook)

    def timer(self, t: float, kind: str, key: str) -> None:
        self.seq += 1
        heapq.heappush(self.timers, (t, self.seq, kind, key))

    def outcome(self, contact: Contact, t: float, met: bool) -> None:
        """The contact was answered (``met`` or not) or abandoned at ``t``."""
        service = self.config.services[contact.service]
        self.levels.outcome(contact.id, service, t, met)
        if uses_level(service):  # it leaves the window just after t + window
            self.timer(math.nextafter(t + service.sl_window_s, math.inf), "tick", contact.id)

    def external(self, event: Event) -> None:
        if isinstance(event, Arrival):
            self.arrive(event)
        elif isinstance(event, AgentChange):
            self.agent_change(event)
        elif isinstance(event, Abandon):
            contact = self.waiting.pop(event.contact, None)
            if contact is not None:
                self.stats[contact.service].abandoned += 1
                self.done.add(contact.id)
                self.outcome(contact, event.t, False)

    def arrive(self, e: Arrival) -> None:
        if e.contact in self.waiting or e.contact in self.done:
            return  # a repeated arrival
        stats = self.stats.setdefault(e.service, ServiceStats())
        stats.offered += 1
        service = self.config.services.get(e.service)
        if service is None:
            self.unrouted.add(e.service)
            self.done.add(e.contact)
            stats.unfinished += 1
            return
        self.waiting[e.contact] = Contact(
            id=e.contact,
            service=e.service,
            entered_at=e.t,
            customer_id=e.customer,
            vip=e.vip,
            segment=e.segment,
            intent=e.intent,
            required=e.required,
            priority=e.priority,
            language=e.language,
        )
        for step in service.relax:
            if step.after_s is not None:
                self.timer(e.t + step.after_s, "tick", e.contact)
        self.levels.entered(e.contact, e.service, e.t)
        if uses_level(service):  # late just after its target
            self.timer(math.nextafter(e.t + service.sl_target_s, math.inf), "tick", e.contact)

    def agent_change(self, e: AgentChange) -> None:
        sim = self.agents.get(e.agent)
        if sim is None:
            self.unknown_agents.add(e.agent)
            return
        if e.state not in (AgentState.READY, AgentState.NOT_READY, AgentState.OFFLINE):
            return  # derived from the run's own routing instead
        if e.state is AgentState.READY and not sim.available and sim.phase is AgentState.READY:
            sim.idle_since = e.t
        sim.available = e.state is AgentState.READY
        sim.state = e.state
        sim.reason = e.reason

    def internal(self, t: float, kind: str, key: str) -> None:
        if kind == "tick":
            return  # a relaxation threshold: routing runs after this batch
        sim = self.agents[key]
        if kind == "call_end":
            sim.phase = AgentState.WRAP_UP
            self.timer(t + self.wrap_s.pop(key, 0.0), "wrap_end", key)
        else:
            sim.phase = AgentState.READY
            sim.idle_since = t

    def route(self, now: float) -> None:
        if not self.waiting or not any(
            sim.available and sim.phase is AgentState.READY for sim in self.agents.values()
        ):
            return  # nothing can be decided: a pass would only cost time
        services = self.config.services
        views = [sim.view() for sim in self.agents.values()]
        tallies = {name: self.levels.tally(s, now) for name, s in services.items()}
        live = live_snapshot(self.waiting.values(), views, services, at_risk(tallies, services))
        for decision in assign(self.waiting.values(), views, services, now, live, self.affinity):
            contact = self.waiting.pop(decision.contact_id)
            agent_id = decision.agent_id
            if agent_id is None:
                continue
            target = decision.trace.target_service
            wait = now - contact.entered_at
            stats = self.stats[contact.service]
            stats.answered += 1
            stats.wait_answered_s += wait
            met = met_target(wait, services[contact.service])
            stats.answered_in_sl += met
            self.outcome(contact, now, met)
            stats.overflowed += target != contact.service
            self.done.add(contact.id)
            if contact.customer_id is not None:
                self.affinity[contact.customer_id] = (agent_id, now)
            self.agents[agent_id].phase = AgentState.ON_CALL
            self.wrap_s[agent_id] = services[target].wrap_up_s
            self.timer(now + self.talk_s[contact.id], "call_end", agent_id)


def _talk_times(events: Sequence[Event]) -> dict[str, float]:
    answered = {e.contact: e.t for e in events if isinstance(e, Answer)}
    ended = {e.contact: e.t for e in events if isinstance(e, End)}
    service_of = {e.contact: e.service for e in events if isinstance(e, Arrival)}
    known = {c: ended[c] - t for c, t in answered.items() if c in ended and ended[c] >= t}
    per_service: dict[str, list[float]] = {}
    for contact, talk in known.items():
        per_service.setdefault(service_of.get(contact, ""), []).append(talk)
    overall = sum(known.values()) / len(known) if known else DEFAULT_TALK_S
    talk: dict[str, float] = {}
    for contact, service in service_of.items():
        if contact in known:
            talk[contact] = known[contact]
        else:
            sample = per_service.get(service)
            talk[contact] = sum(sample) / len(sample) if sample else overall
    return talk


def replay(events: Sequence[Event], config: RoutingConfig) -> ReplayResult:
    """Run ``events`` through ``config``; see the module docstring for the rules."""
    answered = {e.contact for e in events if isinstance(e, Answer)}
    patience = {e.contact for e in events if isinstance(e, Abandon) and e.contact not in answered}
    run = _Run(
        config,
        _talk_times(events),
        agents={aid: _AgentSim(profile) for aid, profile in config.agents.items()},
        stats={name: ServiceStats() for name in config.services},
    )
    log = sorted(
        ((e.t, i, e) for i, e in enumerate(events) if not isinstance(e, Answer | End)),
        key=lambda item: (item[0], item[1]),
    )
    position = 0
    while position < len(log) or run.timers:
        now = min(
            log[position][0] if position < len(log) else float("inf"),
            run.timers[0][0] if run.timers else float("inf"),
        )
        while position < len(log) and log[position][0] == now:
            event = log[position][2]
            if not isinstance(event, Abandon) or event.contact in patience:
                run.external(event)
            position += 1
        while run.timers and run.timers[0][0] == now:
            _, _, kind, key = heapq.heappop(run.timers)
            run.internal(now, kind, key)
        run.route(now)
    for contact in run.waiting.values():
        run.stats[contact.service].unfinished += 1
    total = ServiceStats()
    for stats in run.stats.values():
        total.merge(stats)
    return ReplayResult(run.stats, total, frozenset(run.unknown_agents), frozenset(run.unrouted))


def compare(
    events: Sequence[Event],
    config_a: RoutingConfig,
    config_b: RoutingConfig,
    labels: tuple[str, str] = ("A", "B"),
) -> str:
    """Replay ``events`` through both configurations; a side-by-side table per service."""
    a, b = replay(events, config_a), replay(events, config_b)
    return side_by_side({**a.services, "all": a.total}, {**b.services, "all": b.total}, labels)
