"""Batch reads: a timeline page's journeys and agents, and a caller's snapshot for the IVR."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from customers import queries
from customers import validation as v
from customers.exceptions import NotFound
from customers.identities import normalize_identity
from customers.models import Agent, Customer, Identity, Journey, ProfileData
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
            customer = await self._owner(session, kind, normalized)
            if customer is None:
                return None
            history = await session.execute(queries.intent_history(customer.id, limit, since))
            profile = await session.execute(
                select(
                    ProfileData.field,
                    ProfileData.value,
                    ProfileData.source_channel,
                    ProfileData.updated_at,
                )
                .where(ProfileData.customer_id == customer.id)
                .order_by(ProfileData.field)
            )
            latest = await session.scalar(queries.latest_journey(customer.id, scenario=scenario))
            return CallerSnapshot(
                customer=customer,
                history=tuple(HistoryRow(*row) for row in history),
                profile={f: ProfileValue(val, ch, at) for f, val, ch, at in profile},
                latest_journey=None if latest is None else journey_record(latest),
            )

    @staticmethod
    async def _owner(session: AsyncSession, kind: str, value: str) -> CustomerRecord | None:
        owner = await session.scalar(queries.identity_owner(kind, value))
        if owner is None:
            return None
        for _ in range(MAX_MERGE_HOPS):
            row = (
                await session.execute(select(_CUSTOMERS).where(_CUSTOMERS.c.id == owner))
            ).one_or_none()
            if row is None:
                raise NotFound(f"customer {owner} does not exist")
            if row.merged_into is None:
                identities = await session.execute(
                    select(_IDENTITIES)
                    .where(_IDENTITIES.c.customer_id == owner)
                    .order_by(_IDENTITIES.c.id)
                )
                return _customer_record(row._mapping, identities)
            owner = row.merged_into
        raise NotFound(f"customer {owner}: merge chain longer than {MAX_MERGE_HOPS} hops")


def _customer_record(row: Any, identities: Iterable[Any]) -> CustomerRecord:
    return CustomerRecord(
        id=row["id"],
        display_name=row["display_name"],
        segment=row["segment"],
        vip=row["vip"],
        language=row["language"],
        attributes=dict(row["attributes"] or {}),
        created_at=row["created_at"],
        merged_into=row["merged_into"],
        identities=tuple(
            IdentityRecord(i.id, i.customer_id, i.kind, i.value, i.verified, i.created_at)
            for i in identities
        ),
    )
