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
class CallerSnapshot:
    """Everything a call starts with, read at once: the customer, their intent history on
    every channel (newest first), their profile data and their latest journey in the call's
    scenario (to resume an unfinished one)."""

    customer: CustomerRecord
    history: tuple[HistoryRow, ...]
    profile: dict[str, ProfileValue]
    latest_journey: JourneyRecord | None


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


@dataclass(frozen=True, slots=True)
class Actor:
    """Who performs a write, as the audit log names them: ``api_key``, ``agent`` or ``system``."""

    kind: str
    id: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


SYSTEM = Actor("system", "omnivox")


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: datetime
    actor: Actor
    action: str
    target_kind: str
    target_id: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """An API key as stored: its name, public prefix and scopes; never the secret."""

    id: int
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A customer an identity matches, the stored identity it matched and by which rule."""

    customer: CustomerRecord
    kind: str
    value: str
    rule: str


@dataclass(frozen=True, slots=True)
class IdentityMatch:
    """``known`` (exact identity), ``maybe`` (weaker rule, see customers.matching) or ``none``."""

    match: Literal["known", "maybe", "none"]
    kind: str
    value: str  # normalised
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What ``ingest_interaction`` did: the interaction, whose it is and how that was decided."""

    interaction: InteractionRecord
    customer_id: int
    match: Literal["known", "maybe", "created"]
    replayed: bool  # the idempotency key was already used: nothing was written
    candidates: tuple[int, ...] = ()  # maybe-matching customers (when not attached to them)
    identities_added: tuple[IdentityRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class MergeRecord:
    id: int
    survivor_id: int
    merged_id: int
    merged_at: datetime
    actor: Actor
    moved: dict[str, Any]
    undone_at: datetime | None
    undone_by: str | None


@dataclass(frozen=True, slots=True)
class ErasureRecord:
    """An erasure: the customer, when and by whom, and how much was removed (no values)."""

    id: int
    customer_id: int
    erased_at: datetime
    actor: Actor
    counts: dict[str, Any]  # customers, identities, interactions, journeys, profile_fields
    customer_ids: tuple[int, ...]  # the customer and every profile merged into them


@dataclass(frozen=True, slots=True)
class CustomerExport:
    """Everything held about one person: the customer (the survivor of any merges), the
    profiles merged into them, profile data per customer id, every interaction (oldest
    first), the IVR journeys, merges, and the audit entries about them."""

    customer: CustomerRecord
    merged: tuple[CustomerRecord, ...]
    profile_data: dict[int, dict[str, ProfileValue]]
    interactions: tuple[InteractionRecord, ...]
    journeys: tuple[JourneyRecord, ...]
    merges: tuple[MergeRecord, ...]
    audit: tuple[AuditRecord, ...]
    exported_at: datetime
