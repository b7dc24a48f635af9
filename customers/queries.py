"""The read queries whose index use matters, built in one place so tests can EXPLAIN them."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, tuple_

from customers.models import Identity, Interaction, Journey
from customers.records import JourneyRecord


def identity_owner(kind: str, value: str) -> Select[tuple[int]]:
    """The customer id owning a normalised identity (served by UNIQUE(kind, value))."""
    return select(Identity.customer_id).where(Identity.kind == kind, Identity.value == value)


def timeline(
    customer_id: int, limit: int, before: tuple[datetime, int] | None = None
) -> Select[tuple[Interaction]]:
    """Newest-first interactions, keyset-paged on (occurred_at, id) (ix_interactions_timeline)."""
    query = select(Interaction).where(Interaction.customer_id == customer_id)
    if before is not None:
        query = query.where(tuple_(Interaction.occurred_at, Interaction.id) < tuple_(*before))
    return query.order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(limit)


def intent_history(
    customer_id: int, limit: int, since: datetime | None = None
) -> Select[tuple[str, str, str, datetime, bool]]:
    query = select(
        Interaction.intent,
        Interaction.channel,
        Interaction.direction,
        Interaction.occurred_at,
        Interaction.open,
    ).where(Interaction.customer_id == customer_id, Interaction.intent.is_not(None))
    if since is not None:
        query = query.where(Interaction.occurred_at >= since)
    return query.order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(limit)


def intent_counts(
    customer_id: int, since: datetime | None = None
) -> Select[tuple[str, int, datetime]]:
    """Per-intent counts and last time (ix_interactions_intent covers it)."""
    count = func.count().label("count")
    last_at = func.max(Interaction.occurred_at).label("last_at")
    query = select(Interaction.intent, count, last_at).where(
        Interaction.customer_id == customer_id, Interaction.intent.is_not(None)
    )
    if since is not None:
        query = query.where(Interaction.occurred_at >= since)
    return query.group_by(Interaction.intent).order_by(
        count.desc(), last_at.desc(), Interaction.intent
    )


def latest_journey(
    customer_id: int, *, scenario: str | None = None, exclude_journey_id: int | None = None
) -> Select[tuple[Journey]]:
    """The customer's newest journey (ix_journeys_customer_started)."""
    query = select(Journey).where(Journey.customer_id == customer_id)
    if scenario is not None:
        query = query.where(Journey.scenario == scenario)
    if exclude_journey_id is not None:
        query = query.where(Journey.id != exclude_journey_id)
    return query.order_by(Journey.started_at.desc(), Journey.id.desc()).limit(1)


def latest_journey_row(customer_id: int, *, scenario: str | None = None) -> Select[Any]:
    """:func:`latest_journey` as plain columns named like ``JourneyRecord``'s fields."""
    table = Journey.__table__
    query = select(*(table.c[name] for name in JOURNEY_COLUMNS)).where(
        table.c.customer_id == customer_id
    )
    if scenario is not None:
        query = query.where(table.c.scenario == scenario)
    return query.order_by(table.c.started_at.desc(), table.c.id.desc()).limit(1)


JOURNEY_COLUMNS = tuple(f.name for f in fields(JourneyRecord))
