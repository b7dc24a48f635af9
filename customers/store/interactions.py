"""Interactions on every channel: recording, the timeline, and intent history for ranking."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import exc, select
from sqlalchemy.ext.asyncio import AsyncSession

from customers import queries
from customers import validation as v
from customers.cursor import decode_cursor, encode_cursor
from customers.exceptions import NotFound
from customers.models import Agent, Interaction, Journey
from customers.records import HistoryRow, IntentCount, InteractionRecord, TimelinePage
from customers.store.base import StoreBase
from customers.store.convert import interaction_record

MAX_PAGE = 500


class InteractionOps(StoreBase):
    async def record_interaction(
        self,
        customer_id: int,
        channel: str,
        direction: str,
        *,
        occurred_at: datetime | None = None,
        intent: str | None = None,
        topic: str | None = None,
        summary: str | None = None,
        outcome: str | None = None,
        open: bool = False,
        agent_id: int | None = None,
        journey_id: int | None = None,
        data: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> InteractionRecord:
        """Store one contact. A known ``idempotency_key`` returns the record already stored
        under it (whatever the other arguments say) and writes nothing."""
        row = Interaction(
            **interaction_values(
                self._clock(),
                customer_id,
                channel,
                direction,
                occurred_at=occurred_at,
                intent=intent,
                topic=topic,
                summary=summary,
                outcome=outcome,
                open=open,
                agent_id=agent_id,
                journey_id=journey_id,
                data=data,
                idempotency_key=idempotency_key,
            )
        )
        try:
            async with self._write() as session:
                if row.idempotency_key is not None:
                    existing = await self._by_key(session, row.idempotency_key)
                    if existing is not None:
                        return existing
                await self._require_customer(session, customer_id)
                if agent_id is not None and await session.get(Agent, agent_id) is None:
                    raise NotFound(f"agent {agent_id} does not exist")
                if journey_id is not None and await session.get(Journey, journey_id) is None:
                    raise NotFound(f"journey {journey_id} does not exist")
                session.add(row)
                await session.flush()
                return interaction_record(row)
        except exc.IntegrityError:
            if row.idempotency_key is None:
                raise
            async with self._read() as session:  # lost the race to a writer with the same key
                existing = await self._by_key(session, row.idempotency_key)
            if existing is None:
                raise
            return existing

    async def timeline(
        self, customer_id: int, *, limit: int = 50, before: str | None = None
    ) -> TimelinePage:
        """Interactions on all channels, newest first (ties broken by id, newest first)."""
        limit = v.integer("limit", limit, low=1, high=MAX_PAGE)
        position = None if before is None else decode_cursor(before)
        async with self._read() as session:
            rows = list(await session.scalars(queries.timeline(customer_id, limit + 1, position)))
        items = tuple(interaction_record(r) for r in rows[:limit])
        more = len(rows) > limit
        cursor = encode_cursor(items[-1].occurred_at, items[-1].id) if more else None
        return TimelinePage(items, cursor)

    async def intent_history(
        self, customer_id: int, *, limit: int = 200, since: datetime | None = None
    ) -> list[HistoryRow]:
        """Interactions that have an intent, newest first: the input of menu ranking."""
        limit = v.integer("limit", limit, low=1, high=10_000)
        since = v.optional_aware("since", since)
        async with self._read() as session:
            rows = await session.execute(queries.intent_history(customer_id, limit, since))
            return [HistoryRow(*row) for row in rows]

    async def intent_counts(
        self, customer_id: int, *, since: datetime | None = None
    ) -> list[IntentCount]:
        """How often each intent came up and when last; most frequent, then most recent first."""
        since = v.optional_aware("since", since)
        async with self._read() as session:
            rows = await session.execute(queries.intent_counts(customer_id, since))
            return [IntentCount(intent, int(count), last_at) for intent, count, last_at in rows]

    @staticmethod
    async def _by_key(session: AsyncSession, key: str) -> InteractionRecord | None:
        found = await session.scalar(select(Interaction).where(Interaction.idempotency_key == key))
        return None if found is None else interaction_record(found)


def interaction_values(
    now: datetime,
    customer_id: int,
    channel: str,
    direction: str,
    *,
    occurred_at: datetime | None = None,
    intent: str | None = None,
    topic: str | None = None,
    summary: str | None = None,
    outcome: str | None = None,
    open: bool = False,
    agent_id: int | None = None,
    journey_id: int | None = None,
    data: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """The validated column values of one interaction (see ``record_interaction``)."""
    return {
        "customer_id": customer_id,
        "channel": v.one_of("channel", channel, v.CHANNELS),
        "direction": v.one_of("direction", direction, v.DIRECTIONS),
        "occurred_at": now if occurred_at is None else v.aware("occurred_at", occurred_at),
        "intent": v.optional_text("intent", intent, max_length=100),
        "topic": v.optional_text("topic", topic, max_length=1000),
        "summary": v.optional_text("summary", summary, max_length=20000),
        "outcome": v.optional_one_of("outcome", outcome, v.OUTCOMES),
        "open": v.flag("open", open),
        "agent_id": agent_id,
        "journey_id": journey_id,
        "data": v.jsonable("data", v.mapping("data", data or {})),
        "idempotency_key": v.optional_text("idempotency_key", idempotency_key),
        "created_at": now,
    }
