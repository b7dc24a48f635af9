"""Plain, frozen results of the customer store: no ORM objects, so nothing lazy-loads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class IdentityRecord:
    """One way of recognising a customer: a normalised phone number, e-mail, handle..."""

    id: int
    customer_id: int
    kind: str
    value: str
    verified: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """A customer with all of their identities."""

    id: int
    display_name: str | None
    segment: str | None
    vip: bool
    language: str | None
    attributes: dict[str, Any]
    created_at: datetime
    merged_into: int | None
    identities: tuple[IdentityRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class InteractionRecord:
    """One contact on any channel, inbound or outbound."""

    id: int
    customer_id: int
    channel: str
    direction: Literal["in", "out"]
    occurred_at: datetime
    intent: str | None
    topic: str | None
    summary: str | None
    outcome: str | None
    open: bool
    agent_id: int | None
    journey_id: int | None
    data: dict[str, Any]
    idempotency_key: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TimelinePage:
    """Newest-first interactions; pass ``next_cursor`` as ``before`` for the next page."""

    items: tuple[InteractionRecord, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """An interaction reduced to what menu ranking uses (see ``ivr.personalize.HistoryItem``)."""

    intent: str
    channel: str
    direction: Literal["in", "out"]
    occurred_at: datetime
    open: bool


@dataclass(frozen=True, slots=True)
class IntentCount:
    intent: str
    count: int
    last_at: datetime


@dataclass(frozen=True, slots=True)
class ProfileValue:
    """A piece of data the customer gave, the channel they gave it on, and when."""

    value: str
    channel: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class JourneyRecord:
    """One IVR call journey: where it went, what was heard and typed, how it ended."""

    id: int
    call_id: str
    scenario: str
    scenario_version: str | None
    customer_id: int | None
    caller: str | None
    started_at: datetime
    ended_at: datetime | None
    status: str
    stopped_at: str | None
    path: list[Any]
    inputs: dict[str, Any]
    menus: list[Any]
    service: str | None
    intent: str | None
    resume_token: str | None


@dataclass(frozen=True, slots=True)
class AgentRecord:
    id: int
    login: str
    name: str
    endpoint: str
    role: str
    team: str | None
    created_at: datetime
    skills: dict[str, int]  # skill name -> level 1..10
    password_hash: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    id: int
    name: str
    priority: int
    sl_target_pct: float
    sl_threshold_s: int
    wrapup_s: int
    skills: dict[str, int]  # skill name -> minimum level 1..10
    config: dict[str, Any]
