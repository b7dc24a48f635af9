"""Reporting history: contact rows and agent state intervals (written by the reports
recorder), and the period reads the report functions compute over."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, exc, or_, select

from customers import validation as v
from customers.models import Customer, Interaction, Journey, ProfileData
from customers.models.reporting import AgentStateRecord, ContactRecord
from customers.records import InteractionRecord, JourneyRecord
from customers.store import report_channels as rc
from customers.store import report_queries as rq
from customers.store.base import StoreBase
from customers.store.convert import interaction_record, journey_record

USAGE_SUFFIXES = ("_used", "_included")


class JourneyPath(NamedTuple):
    """What the IVR and personalisation reports read of a journey."""

    scenario: str
    path: list[Any]


@dataclass(frozen=True, slots=True)
class ContactRow:
    """One routed contact as the reports read it (see :class:`ContactRecord`)."""

    contact_id: str
    service: str | None
    first_service: str | None
    media: str
    customer_id: int | None
    journey_id: int | None
    intent: str | None
    priority: int | None
    vip: bool
    agent_id: str | None
    entered_at: datetime
    queued_at: datetime | None
    offered_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    abandoned_at: datetime | None
    offers: int
    missed: int
    transfers: int
    callback: bool
    switched_to: str | None
    wrap_up_ms: int | None

    @property
    def wrap_up_s(self) -> float | None:
        return None if self.wrap_up_ms is None else self.wrap_up_ms / 1000.0


@dataclass(frozen=True, slots=True)
class AgentStateRow:
    """An agent in ``state`` from ``since`` until ``until`` (None: still in it)."""

    agent_id: str
    state: str
    reason: str | None
    since: datetime
    until: datetime | None


CONTACT_FIELDS = tuple(f.name for f in fields(ContactRow))
ContactMerge = Callable[[Mapping[str, Any] | None], Mapping[str, Any] | None]


def _contact_row(row: ContactRecord) -> ContactRow:
    return ContactRow(**{name: getattr(row, name) for name in CONTACT_FIELDS})


def _state_row(row: AgentStateRecord) -> AgentStateRow:
    return AgentStateRow(row.agent_id, row.state, row.reason, row.since, row.until)


def _period(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    return v.aware("from", start), v.aware("to", end)


class ReportingOps(StoreBase):
    async def merge_contact_record(self, contact_id: str, merge: ContactMerge) -> ContactRow | None:
        """Read-modify-write one contact row in a transaction: ``merge`` gets the current
        fields (None if there is no row) and returns the new ones (None: leave it alone)."""
        contact_id = v.text("contact_id", contact_id, max_length=64)
        for attempt in (1, 2):
            try:
                async with self._write() as session:
                    query = select(ContactRecord).where(ContactRecord.contact_id == contact_id)
                    row = await session.scalar(query.with_for_update())
                    current = None if row is None else _contact_row(row)
                    merged = merge(None if current is None else _as_dict(current))
                    if merged is None:
                        return current
                    values = {k: merged[k] for k in CONTACT_FIELDS if k in merged}
                    values["contact_id"] = contact_id
                    if row is None:
                        row = ContactRecord(**values)
                        session.add(row)
                    else:
                        for name, value in values.items():
                            setattr(row, name, value)
                    await session.flush()
                    return _contact_row(row)
            except exc.IntegrityError:
                if attempt == 2:  # a concurrent first event inserted it: merge into that
                    raise
        return None  # pragma: no cover - the loop returns or raises

    async def record_agent_state(
        self, agent_id: str, state: str, reason: str | None, at: datetime
    ) -> AgentStateRow | None:
        """Close the agent's open interval and open one in ``state``, unless they are in it
        already. A wrap-up that closes is written on the agent's last ended contact as its
        wrap-up time. Returns the interval closed, if any."""
        agent_id = v.text("agent_id", agent_id, max_length=64)
        state = v.text("state", state, max_length=16)
        reason = v.optional_text("reason", reason, max_length=100)
        at = v.aware("at", at)
        async with self._write() as session:
            query = (
                select(AgentStateRecord)
                .where(AgentStateRecord.agent_id == agent_id, AgentStateRecord.until.is_(None))
                .order_by(AgentStateRecord.since.desc(), AgentStateRecord.id.desc())
            )
            open_rows = list(await session.scalars(query.with_for_update()))
            current = open_rows[0] if open_rows else None
            if current is not None and (current.state, current.reason) == (state, reason):
                return None
            for row in open_rows:
                row.until = max(at, row.since)
            session.add(AgentStateRecord(agent_id=agent_id, state=state, reason=reason, since=at))
            if current is not None and current.state == "wrap_up":
                await self._close_wrap_up(session, agent_id, current.since, at)
            await session.flush()
            return None if current is None else _state_row(current)

    @staticmethod
    async def _close_wrap_up(session: Any, agent_id: str, since: datetime, at: datetime) -> None:
        query = (
            select(ContactRecord)
            .where(
                ContactRecord.agent_id == agent_id,
                ContactRecord.answered_at.is_not(None),
                ContactRecord.ended_at.is_not(None),
                ContactRecord.ended_at <= at,
                ContactRecord.wrap_up_ms.is_(None),
            )
            .order_by(ContactRecord.ended_at.desc())
            .limit(1)
        )
        contact = await session.scalar(query)
        if contact is not None:
            contact.wrap_up_ms = round(max(0.0, (at - since).total_seconds()) * 1000)

    # --- reads for the reports --------------------------------------------------------------

    async def report_contacts(
        self, start: datetime, end: datetime, *, service: str | None = None
    ) -> list[ContactRow]:
        """Contacts first seen in ``[start, end)`` (of ``service`` if given), oldest first."""
        start, end = _period(start, end)
        query = select(ContactRecord).where(
            ContactRecord.entered_at >= start, ContactRecord.entered_at < end
        )
        if service is not None:
            query = query.where(ContactRecord.service == service)
        query = query.order_by(ContactRecord.entered_at, ContactRecord.id)
        async with self._read() as session:
            return [_contact_row(r) for r in await session.scalars(query)]

    async def report_services(
        self, start: datetime, end: datetime, *, service: str | None = None
    ) -> list[str]:
        """The services contacts first seen in ``[start, end)`` were queued to, by name."""
        start, end = _period(start, end)
        query = rq.service_names_query(start, end, service)
        async with self._read() as session:
            return [str(name) for name in await session.scalars(query)]

    async def service_figures(
        self,
        start: datetime,
        end: datetime,
        *,
        targets: Mapping[str, float | None],
        default_target_s: float | None,
        service: str | None = None,
    ) -> list[rq.ServiceFigures]:
        """Per service (by name) the sums and counts of the contacts first seen in
        ``[start, end)`` and queued to it: one GROUP BY query. ``targets`` are the services'
        service-level targets in seconds; any other service gets ``default_target_s``."""
        start, end = _period(start, end)
        query = rq.service_figures_query(start, end, targets, default_target_s, service)
        async with self._read() as session:
            return [rq.service_figures(r) for r in (await session.execute(query)).all()]

    async def agent_figures(
        self, start: datetime, end: datetime, *, now: datetime, service: str | None = None
    ) -> tuple[list[rq.AgentContactFigures], list[rq.AgentStateFigures]]:
        """Per agent their contacts first seen in ``[start, end)`` (of ``service``), and per
        agent and state the time in it clipped to ``[start, min(end, now))``: two GROUP BYs."""
        start, end = _period(start, end)
        clip = max(start, min(end, v.aware("now", now)))
        contacts = rq.agent_contacts_query(start, end, service)
        states = rq.agent_states_query(start, end, clip)
        async with self._read() as session:
            found = (await session.execute(contacts)).all()
            intervals = (await session.execute(states)).all()
        return [rq.agent_contact_figures(r) for r in found], [
            rq.agent_state_figures(r) for r in intervals
        ]

    async def report_exits(
        self, start: datetime, end: datetime, *, service: str | None = None
    ) -> list[tuple[str, str | None, int]]:
        """``(scenario, stopped_at, count)`` of the abandoned journeys started in
        ``[start, end)`` (ending at ``service`` if given): one GROUP BY."""
        start, end = _period(start, end)
        async with self._read() as session:
            rows = (await session.execute(rq.exits_query(start, end, service))).all()
        return [(str(scenario), node, int(count)) for scenario, node, count in rows]

    async def report_switches(self, start: datetime, end: datetime) -> dict[str, int]:
        """Per kind, the contacts first seen in ``[start, end)`` that took the IVR's channel
        switch (SMS link, callback...): one GROUP BY."""
        start, end = _period(start, end)
        async with self._read() as session:
            rows = (await session.execute(rq.switch_kinds_query(start, end))).all()
        return {str(kind): int(count) for kind, count in rows}

    async def report_agent_states(self, start: datetime, end: datetime) -> list[AgentStateRow]:
        """Agent state intervals that overlap ``[start, end)``, unclipped, oldest first."""
        start, end = _period(start, end)
        query = (
            select(AgentStateRecord)
            .where(
                AgentStateRecord.since < end,
                or_(AgentStateRecord.until.is_(None), AgentStateRecord.until > start),
            )
            .order_by(AgentStateRecord.since, AgentStateRecord.id)
        )
        async with self._read() as session:
            return [_state_row(r) for r in await session.scalars(query)]

    async def report_journeys(
        self, start: datetime, end: datetime, *, service: str | None = None
    ) -> list[JourneyRecord]:
        """IVR journeys started in ``[start, end)`` (ending at ``service`` if given)."""
        start, end = _period(start, end)
        query = select(Journey).where(Journey.started_at >= start, Journey.started_at < end)
        if service is not None:
            query = query.where(Journey.service == service)
        query = query.order_by(Journey.started_at, Journey.id)
        async with self._read() as session:
            return [journey_record(r) for r in await session.scalars(query)]

    async def report_journey_statuses(
        self, start: datetime, end: datetime, *, service: str | None = None
    ) -> list[tuple[str, str, int]]:
        """``(scenario, status, count)`` of the journeys started in ``[start, end)`` (ending
        at ``service`` if given): one GROUP BY."""
        start, end = _period(start, end)
        async with self._read() as session:
            rows = (await session.execute(rq.journey_statuses_query(start, end, service))).all()
        return [(str(scenario), str(status), int(n)) for scenario, status, n in rows]

    async def report_paths(
        self, start: datetime, end: datetime, *, service: str | None = None
    ) -> list[JourneyPath]:
        """The scenario and path of each journey started in ``[start, end)``, oldest first."""
        start, end = _period(start, end)
        async with self._read() as session:
            rows = (await session.execute(rq.journey_paths_query(start, end, service))).all()
        return [JourneyPath(str(scenario), list(path or ())) for scenario, path in rows]

    async def report_interactions(self, start: datetime, end: datetime) -> list[InteractionRecord]:
        """Interactions on every channel that occurred in ``[start, end)``, oldest first."""
        start, end = _period(start, end)
        query: Select[tuple[Interaction]] = (
            select(Interaction)
            .where(Interaction.occurred_at >= start, Interaction.occurred_at < end)
            .order_by(Interaction.occurred_at, Interaction.id)
        )
        async with self._read() as session:
            return [interaction_record(r) for r in await session.scalars(query)]

    async def channel_figures(
        self, start: datetime, end: datetime, *, window_days: float
    ) -> list[rc.ChannelFigures]:
        """Per channel (by name) the contacts in ``[start, end)`` and the matters started on
        it (``omnivox.reports.channels``' definitions): two GROUP BY queries."""
        start, end = _period(start, end)
        window_ms = round(v.number("window_days", window_days, low=0, high=3650) * 86_400_000)
        async with self._read() as session:
            volumes = (await session.execute(rc.volume_query(start, end))).all()
            matters = (await session.execute(rc.matters_query(start, end, window_ms))).all()
        return rc.channel_figures(volumes, matters)

    async def report_inbound(self, start: datetime, end: datetime) -> list[tuple[int, datetime]]:
        """``(customer_id, occurred_at)`` of the inbound interactions in ``[start, end)``,
        oldest first: only the two columns the upsell report reads."""
        start, end = _period(start, end)
        query = (
            select(Interaction.customer_id, Interaction.occurred_at)
            .where(Interaction.occurred_at >= start, Interaction.occurred_at < end)
            .where(Interaction.direction == "in")
            .order_by(Interaction.occurred_at, Interaction.id)
        )
        async with self._read() as session:
            return [(int(c), at) for c, at in (await session.execute(query)).all()]

    async def report_usage(self) -> list[tuple[int, str, str]]:
        """``(customer_id, field, value)`` of every profile field named ``*_used`` or
        ``*_included`` (what a customer used and what their plan includes)."""
        query = select(ProfileData.customer_id, ProfileData.field, ProfileData.value).where(
            or_(*(ProfileData.field.like(f"%{suffix}") for suffix in USAGE_SUFFIXES))
        )
        async with self._read() as session:
            rows = (await session.execute(query.order_by(ProfileData.id))).all()
            return [(int(c), str(f), str(value)) for c, f, value in rows]

    async def customer_names(self, ids: list[int]) -> dict[int, str | None]:
        """Display names of the customers ``ids`` (erased ones have none)."""
        if not ids:
            return {}
        query = select(Customer.id, Customer.display_name).where(Customer.id.in_(set(ids)))
        async with self._read() as session:
            return {int(i): name for i, name in (await session.execute(query)).all()}


def _as_dict(row: ContactRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in CONTACT_FIELDS}
