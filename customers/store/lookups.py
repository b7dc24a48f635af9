"""Batch reads: a timeline page's journeys and agents, and a caller's snapshot for the IVR."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from customers import queries
from customers import validation as v
from customers.exceptions import NotFound
from customers.identities import normalize_identity
from customers.models import Agent, Customer, Identity, Interaction, Journey, ProfileData
from customers.records import (
    CallerSnapshot,
    CustomerRecord,
    HistoryRow,
    IdentityRecord,
    JourneyRecord,
    ProfileValue,
)
from customers.store.base import StoreBase
from customers.store.convert import journey_record

MAX_MERGE_HOPS = 16
_CUSTOMERS = Customer.__table__
_IDENTITIES = Identity.__table__
# a customer's columns with each of their identities (i_*), one row per identity
_WITH_IDENTITIES = (
    select(
        _CUSTOMERS,
        *(
            _IDENTITIES.c[n].label(f"i_{n}")
            for n in ("id", "kind", "value", "verified", "created_at")
        ),
    )
    .outerjoin(_IDENTITIES, _IDENTITIES.c.customer_id == _CUSTOMERS.c.id)
    .order_by(_IDENTITIES.c.id)
)
# The statements of a call's snapshot, built once with bound parameters: building them per
# call (coercions, cache keys) cost about as much as running them. Same SQL as
# queries.intent_history and queries.latest_journey_row.
_OWNER_OF_IDENTITY = _WITH_IDENTITIES.where(
    _CUSTOMERS.c.id
    == select(_IDENTITIES.c.customer_id)
    .where(_IDENTITIES.c.kind == bindparam("kind"), _IDENTITIES.c.value == bindparam("value"))
    .scalar_subquery()
)
_OWNER_BY_ID = _WITH_IDENTITIES.where(_CUSTOMERS.c.id == bindparam("customer_id"))
_HISTORY = queries.intent_history(bindparam("customer_id"), bindparam("limit"))  # type: ignore[arg-type]
_HISTORY_SINCE = _HISTORY.where(Interaction.occurred_at >= bindparam("since"))
_PROFILE = (
    select(ProfileData.field, ProfileData.value, ProfileData.source_channel, ProfileData.updated_at)
    .where(ProfileData.customer_id == bindparam("customer_id"))
    .order_by(ProfileData.field)
)
_LATEST = queries.latest_journey_row(bindparam("customer_id"))  # type: ignore[arg-type]
_LATEST_IN = queries.latest_journey_row(bindparam("customer_id"), scenario=bindparam("scenario"))  # type: ignore[arg-type]


class LookupOps(StoreBase):
    async def journeys_by_id(self, ids: Iterable[int]) -> dict[int, JourneyRecord]:
        """The journeys among ``ids`` that exist, by id."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        async with self._read() as session:
            rows = await session.scalars(select(Journey).where(Journey.id.in_(wanted)))
            return {row.id: journey_record(row) for row in rows}

    async def agent_names(self, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """``{agent id: (login, name)}`` for the agents among ``ids`` that exist."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        async with self._read() as session:
            rows = await session.execute(
                select(Agent.id, Agent.login, Agent.name).where(Agent.id.in_(wanted))
            )
            return {agent_id: (login, name) for agent_id, login, name in rows}

    async def caller_snapshot(
        self,
        kind: str,
        value: str,
        *,
        history_limit: int = 200,
        history_since: datetime | None = None,
        scenario: str | None = None,
    ) -> CallerSnapshot | None:
        """What a call needs about the owner of this identity (merges followed), read in one
        session: customer and identities, intent history, profile data and the newest journey
        (of ``scenario`` when given). ``None`` for an unknown identity."""
        normalized = normalize_identity(kind, value, self._default_region)
        limit = v.integer("history_limit", history_limit, low=1, high=10_000)
        since = v.optional_aware("history_since", history_since)
        async with self._read() as session:
            # Core statements on the session's connection: no ORM work on the call's path; on
            # PostgreSQL no BEGIN/ROLLBACK round trips either (each statement sees committed data)
            connection = await session.connection(execution_options=_autocommit(session))
            customer = await _owner(connection, kind, normalized)
            if customer is None:
                return None
            mine = {"customer_id": customer.id}
            history = await connection.execute(
                _HISTORY if since is None else _HISTORY_SINCE,
                mine | {"limit": limit, "since": since},
            )
            profile = await connection.execute(_PROFILE, mine)
            latest_query = _LATEST if scenario is None else _LATEST_IN
            latest = (
                await connection.execute(latest_query, mine | {"scenario": scenario})
            ).one_or_none()
            return CallerSnapshot(
                customer=customer,
                history=tuple(HistoryRow(*row) for row in history),
                profile={f: ProfileValue(val, ch, at) for f, val, ch, at in profile},
                latest_journey=None if latest is None else JourneyRecord(**latest._mapping),
            )


def _autocommit(session: AsyncSession) -> dict[str, Any]:
    if session.get_bind().dialect.name == "postgresql":
        return {"isolation_level": "AUTOCOMMIT"}
    return {}


async def _owner(connection: AsyncConnection, kind: str, value: str) -> CustomerRecord | None:
    """The customer owning an identity, following merges, with all of their identities: one
    statement unless the owner was merged into another customer."""
    query: Any = _OWNER_OF_IDENTITY
    params: dict[str, Any] = {"kind": kind, "value": value}
    for _ in range(MAX_MERGE_HOPS):
        rows = (await connection.execute(query, params)).all()
        if not rows:
            return None
        if rows[0].merged_into is None:
            return _customer_record(rows)
        query, params = _OWNER_BY_ID, {"customer_id": rows[0].merged_into}
    raise NotFound(f"customer {value}: merge chain longer than {MAX_MERGE_HOPS} hops")


def _customer_record(rows: Sequence[Any]) -> CustomerRecord:
    row = rows[0]
    return CustomerRecord(
        id=row.id,
        display_name=row.display_name,
        segment=row.segment,
        vip=row.vip,
        language=row.language,
        attributes=dict(row.attributes or {}),
        created_at=row.created_at,
        merged_into=row.merged_into,
        identities=tuple(
            IdentityRecord(r.i_id, r.id, r.i_kind, r.i_value, r.i_verified, r.i_created_at)
            for r in rows
            if r.i_id is not None
        ),
    )
