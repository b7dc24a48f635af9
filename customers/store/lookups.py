"""Batch reads that decorate a timeline page: its journeys and its agents, one query each."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from customers.models import Agent, Journey
from customers.records import JourneyRecord
from customers.store.base import StoreBase
from customers.store.convert import journey_record


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
