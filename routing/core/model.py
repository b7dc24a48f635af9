"""The routing core's data: agents, services (queues), relaxation steps, waiting contacts.

Plain frozen dataclasses, no behaviour beyond small derived values. Times are floats in
seconds on one clock chosen by the caller (epoch or monotonic); the core never reads a clock.
Skill levels run 1–10; a requirement ``skill -> level`` means "has ``skill`` at ``level`` or more".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal


class AgentState(StrEnum):
    """Where an agent is. Only READY agents can be offered a contact."""

    OFFLINE = "offline"
    READY = "ready"
    RESERVED = "reserved"  # a contact is ringing them
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    NOT_READY = "not_ready"  # logged in, on a break; see Agent.not_ready_reason

    @property
    def busy(self) -> bool:
        """Handling a contact (ringing, talking or wrapping up)."""
        return self in (AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP)


@dataclass(frozen=True, slots=True)
class Requirement:
    """One skill a contact needs, at ``level`` or above."""

    skill: str
    level: int

    def to_dict(self) -> dict[str, object]:
        return {"skill": self.skill, "level": self.level}


def requirements(levels: Mapping[str, int]) -> tuple[Requirement, ...]:
    """``{"billing": 5}`` as requirements, sorted by skill so traces and ties are stable."""
    return tuple(Requirement(skill, levels[skill]) for skill in sorted(levels))


@dataclass(frozen=True, slots=True)
class Agent:
    """An agent as routing sees them at one moment."""

    id: str
    skills: Mapping[str, int]  # skill -> level 1..10
    state: AgentState = AgentState.OFFLINE
    services: frozenset[str] = frozenset()  # the services (queues) whose contacts they take
    idle_since: float | None = None  # when they last became READY
    team: str | None = None
    endpoint: str | None = None  # SIP endpoint, e.g. "PJSIP/1001"
    not_ready_reason: str | None = None


@dataclass(frozen=True, slots=True)
class RelaxStep:
    """One relaxation step of a service, applied to a contact once its triggers hold.

    Triggers: ``after_s`` (the contact has waited that long) and live conditions on the
    contact's service (no eligible agent ready, service level at risk, queue length >= N).
    ``match="all"`` needs every declared trigger, ``"any"`` one of them. Effects, applied in
    this order: ``overflow_to`` (requirements become the target service's), ``drop`` skills,
    ``set`` new levels for skills already required, ``add`` requirements (replacing any
    existing level). An added skill name may contain ``{language}``: it becomes the contact's
    language, and the requirement is skipped for a contact without one.
    """

    after_s: float | None = None
    no_eligible_ready: bool = False
    sl_at_risk: bool = False
    queue_length_at_least: int | None = None
    match: Literal["all", "any"] = "all"
    set: Mapping[str, int] = field(default_factory=dict)
    add: Mapping[str, int] = field(default_factory=dict)
    drop: frozenset[str] = frozenset()
    overflow_to: str | None = None

    def describe(self) -> str:
        """The step's triggers in words, for traces: ``after 30 s and sl at risk``."""
        parts = []
        if self.after_s is not None:
            parts.append(f"after {self.after_s:g} s")
        if self.no_eligible_ready:
            parts.append("no eligible agent ready")
        if self.sl_at_risk:
            parts.append("service level at risk")
        if self.queue_length_at_least is not None:
            parts.append(f"queue >= {self.queue_length_at_least}")
        return f" {'and' if self.match == 'all' else 'or'} ".join(parts)


@dataclass(frozen=True, slots=True)
class Service:
    """A service (queue): what its contacts need and how they are ordered.

    Scoring parameters (see ``routing.core.decide.contact_score``): ``priority`` and
    ``vip_lift`` in priority levels, one level worth ``priority_step_s`` seconds of waiting;
    ``sl_risk_window_s`` (default: half of ``sl_target_s``) is how long before its
    service-level target a contact starts gaining ``sl_risk_gain`` extra seconds per second;
    ``behind_lift`` levels are added while the service is behind its service-level target,
    measured over the last ``sl_window_s`` seconds (see ``routing.core.service_level``).
    """

    name: str
    requires: Mapping[str, int] = field(default_factory=dict)
    priority: int = 0
    sl_target_s: float = 20.0  # answer within this many seconds ...
    sl_percent: float = 80.0  # ... for this share of contacts
    wrap_up_s: float = 0.0
    relax: tuple[RelaxStep, ...] = ()
    affinity_window_s: float = 86400.0  # 0 turns affinity off
    priority_step_s: float = 60.0
    vip_lift: int = 2
    sl_risk_window_s: float | None = None
    sl_risk_gain: float = 1.0
    behind_lift: int = 1
    sl_window_s: float = 900.0  # the rolling window the "behind target" level is measured over

    @property
    def risk_window_s(self) -> float:
        return self.sl_target_s / 2 if self.sl_risk_window_s is None else self.sl_risk_window_s

    @property
    def max_risk_s(self) -> float:
        """The most the service-level risk term can add to a contact's score."""
        return self.sl_risk_gain * self.risk_window_s


@dataclass(frozen=True, slots=True)
class Contact:
    """A waiting contact (a call in queue)."""

    id: str
    service: str
    entered_at: float
    customer_id: str | None = None
    vip: bool = False
    segment: str | None = None
    intent: str | None = None
    required: Mapping[str, int] = field(default_factory=dict)  # on top of the service's
    priority: int = 0  # added to the service's priority
    excluded: frozenset[str] = frozenset()  # agents who let it ring out
    language: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceLive:
    """Live state of one service that relaxation steps may key on (the caller measures it)."""

    queue_length: int = 0
    ready_eligible: int | None = None  # ready members meeting the base requirements; None: unknown
    sl_at_risk: bool = False  # the service is currently below its service-level target


NO_LIVE = ServiceLive()
