"""Closing journeys: everything a finished call writes, for one call or a batch of them.

:class:`JourneyEnd` is one call's write, validated before any transaction; :func:`apply_end`
performs it inside the caller's transaction (``JourneyOps.finish_journey`` and
``JourneyOps.finish_journeys`` own the transactions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from customers import queries
from customers.exceptions import NotFound
from customers.matching import match_key
from customers.models import Customer, Identity, Interaction, Journey, ProfileData
from customers.models.base import utcnow
from customers.store.base import StoreBase
from customers.store.interactions import interaction_values

_JOURNEYS = Journey.__table__
_CUSTOMERS = Customer.__table__
_IDENTITIES = Identity.__table__
_INTERACTIONS = Interaction.__table__
MAX_MERGE_HOPS = 16


@dataclass(frozen=True, slots=True)
class JourneyEnd:
    """One finished call's write (see ``JourneyOps.journey_end``), already validated."""

    journey_id: int
    values: dict[str, Any]  # the journey's columns to set
    customer_id: int | None
    phone: str | None  # E.164; its owner is found or created when customer_id is None
    language: str | None
    channel: str
    profile: tuple[tuple[str, str], ...]
    interaction: Mapping[str, Any] | None
    customer_language: str | None = None  # set on the customer (one this call created)


async def apply_end(session: AsyncSession, end: JourneyEnd, now: datetime) -> int | None:
    """Write ``end`` in the session's transaction; the customer id, if any."""
    owner = end.customer_id
    if owner is None and end.phone is not None:
        owner = await phone_owner(session, end.phone, end.language)
    values = end.values if owner is None else end.values | {"customer_id": owner}
    done = await session.execute(
        update(_JOURNEYS).where(_JOURNEYS.c.id == end.journey_id).values(values)
    )
    if done.rowcount == 0:
        raise NotFound(f"journey {end.journey_id} does not exist")
    if owner is None:
        return None
    if end.customer_language is not None:
        await session.execute(
            update(_CUSTOMERS)
            .where(_CUSTOMERS.c.id == owner)
            .values(language=end.customer_language)
        )
    for field, value in end.profile:
        await session.execute(_profile_upsert(session, owner, field, value, end.channel, now))
    if end.interaction is not None:
        row = interaction_values(
            now, owner, end.channel, journey_id=end.journey_id, **end.interaction
        )
        insert_row = StoreBase._insert(session, _INTERACTIONS).values(row)
        if row["idempotency_key"] is not None:
            insert_row = insert_row.on_conflict_do_nothing(
                index_elements=[_INTERACTIONS.c.idempotency_key]
            )
        await session.execute(insert_row)
    return owner


async def apply_ends(
    session: AsyncSession, ends: Sequence[JourneyEnd], now: datetime
) -> list[int | None]:
    """:func:`apply_end` for several writes, with one statement per table: the journeys'
    updates, the profile upserts and the interactions each go as one ``executemany``, in
    the order given (a later write of one journey wins). :class:`NotFound` if a journey
    does not exist (nothing is written: the caller's transaction rolls back)."""
    ids = {end.journey_id for end in ends}
    present = await session.execute(select(_JOURNEYS.c.id).where(_JOURNEYS.c.id.in_(ids)))
    found = set(present.scalars())
    if missing := ids - found:
        raise NotFound(f"journey {min(missing)} does not exist")
    owners: list[int | None] = []
    for end in ends:
        owner = end.customer_id
        if owner is None and end.phone is not None:
            owner = await phone_owner(session, end.phone, end.language)
        owners.append(owner)
    runs: list[tuple[tuple[str, ...], list[dict[str, Any]]]] = []  # same columns, in order
    for end, owner in zip(ends, owners, strict=True):
        row = end.values if owner is None else end.values | {"customer_id": owner}
        columns = tuple(sorted(row))
        if not runs or runs[-1][0] != columns:
            runs.append((columns, []))
        runs[-1][1].append(row | {"_journey": end.journey_id})
    for columns, rows in runs:
        statement = (
            update(_JOURNEYS)
            .where(_JOURNEYS.c.id == bindparam("_journey"))
            .values({name: bindparam(name) for name in columns})
        )
        await session.execute(statement, rows)
    languages = [
        {"_customer": owner, "language": end.customer_language}
        for end, owner in zip(ends, owners, strict=True)
        if owner is not None and end.customer_language is not None
    ]
    if languages:
        await session.execute(
            update(_CUSTOMERS)
            .where(_CUSTOMERS.c.id == bindparam("_customer"))
            .values(language=bindparam("language")),
            languages,
        )
    profile: dict[tuple[int, str], dict[str, Any]] = {}  # the last value of a field wins
    interactions: list[dict[str, Any]] = []
    for end, owner in zip(ends, owners, strict=True):
        if owner is None:
            continue
        for field, value in end.profile:
            profile[owner, field] = {
                "customer_id": owner,
                "field": field,
                "value": value,
                "source_channel": end.channel,
                "updated_at": now,
            }
        if end.interaction is not None:
            interactions.append(
                interaction_values(
                    now, owner, end.channel, journey_id=end.journey_id, **end.interaction
                )
            )
    if profile:
        upsert = StoreBase._insert(session, ProfileData)
        upsert = upsert.on_conflict_do_update(
            index_elements=[ProfileData.customer_id, ProfileData.field],
            set_={
                "value": upsert.excluded.value,
                "source_channel": upsert.excluded.source_channel,
                "updated_at": upsert.excluded.updated_at,
            },
        )
        await session.execute(upsert, list(profile.values()))
    if interactions:
        insert_rows = StoreBase._insert(session, _INTERACTIONS).on_conflict_do_nothing(
            index_elements=[_INTERACTIONS.c.idempotency_key]
        )
        await session.execute(insert_rows, interactions)
    return owners


async def phone_owner(session: AsyncSession, phone: str, language: str | None) -> int:
    """The customer who owns ``phone`` (past merges), or a new one (segment ``new``)."""
    owner = await session.scalar(queries.identity_owner("phone", phone))
    if owner is None:
        now = utcnow()
        created = await session.execute(
            insert(_CUSTOMERS)
            .values(segment="new", vip=False, language=language, attributes={}, created_at=now)
            .returning(_CUSTOMERS.c.id)
        )
        owner = int(created.scalar_one())
        await session.execute(
            insert(_IDENTITIES).values(
                customer_id=owner,
                kind="phone",
                value=phone,
                verified=False,
                created_at=now,
                match_key=match_key("phone", phone),
            )
        )
        return owner
    for _ in range(MAX_MERGE_HOPS):
        merged_into = await session.scalar(
            select(_CUSTOMERS.c.merged_into).where(_CUSTOMERS.c.id == owner)
        )
        if merged_into is None:
            return owner
        owner = merged_into
    raise NotFound(f"customer {owner}: merge chain longer than {MAX_MERGE_HOPS} hops")


def _profile_upsert(
    session: AsyncSession, customer_id: int, field: str, value: str, channel: str, now: datetime
) -> Any:
    insert_row = StoreBase._insert(session, ProfileData).values(
        customer_id=customer_id, field=field, value=value, source_channel=channel, updated_at=now
    )
    return insert_row.on_conflict_do_update(
        index_elements=[ProfileData.customer_id, ProfileData.field],
        set_={"value": value, "source_channel": channel, "updated_at": now},
    )
