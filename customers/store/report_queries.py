"""The reports' aggregate queries (SQLAlchemy core, SQLite and PostgreSQL): one GROUP BY per
report, returning sums and counts; the report modules turn them into averages and percents.

Durations are whole milliseconds, ``end - start`` never negative: PostgreSQL from
``EXTRACT(EPOCH ...)``, SQLite from ``julianday`` (which holds milliseconds), so sums are exact
integers on both and the same history gives the same figures on both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, and_, case, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement

from customers.models import Journey
from customers.models.base import UTCDateTime
from customers.models.reporting import AgentStateRecord, ContactRecord

C, S = ContactRecord, AgentStateRecord


class elapsed_ms(FunctionElement[int]):  # noqa: N801 - a SQL function reads like one
    """``elapsed_ms(start, end)``: whole milliseconds from ``start`` to ``end`` (may be < 0)."""

    type = BigInteger()
    inherit_cache = True
    name = "elapsed_ms"


@compiles(elapsed_ms, "postgresql")
def _pg_elapsed(element: elapsed_ms, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(ROUND(EXTRACT(EPOCH FROM ({end} - {start})) * 1000) AS BIGINT)"


@compiles(elapsed_ms, "sqlite")
def _sqlite_elapsed(element: elapsed_ms, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(ROUND((julianday({end}) - julianday({start})) * 86400000.0) AS INTEGER)"


def duration_ms(start: Any, end: Any) -> ColumnElement[int]:
    """``end - start`` in milliseconds, 0 when ``end`` is before ``start``."""
    return case((end >= start, elapsed_ms(start, end)), else_=0)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


def _sum(condition: ColumnElement[bool], value: Any) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, value))), 0)


def instant(value: datetime) -> ColumnElement[datetime]:
    """A bound timestamp stored the way columns are (naive UTC text on SQLite)."""
    return literal(value, UTCDateTime())


@dataclass(frozen=True, slots=True)
class ServiceFigures:
    """Sums and counts over one service's queued contacts (see ``omnivox.reports.services``)."""

    service: str
    offered: int
    answered: int
    abandoned: int
    abandon_ms: int  # queue entry to abandon, summed over the abandoned
    in_target: int  # answered with a wait within the service's target
    wait_ms: int  # queue entry to answer, summed over the answered
    finished: int  # answered and ended
    talk_ms: int  # answer to end, over the finished
    wrapped: int  # finished with a recorded wrap-up
    wrap_up_ms: int
    transfers: int
    callbacks: int


def service_figures_query(
    start: datetime,
    end: datetime,
    targets: Mapping[str, float | None],
    default_target_s: float | None,
    service: str | None = None,
) -> Select[Any]:
    """Contacts first seen in ``[start, end)`` and queued to a service, grouped by service.
    ``targets`` are service-level targets in seconds; other services get ``default_target_s``
    (None: no answer counts as within target)."""
    wait = duration_ms(C.queued_at, C.answered_at)
    answered, abandoned = C.answered_at.is_not(None), C.abandoned_at.is_not(None)
    finished = and_(answered, C.ended_at.is_not(None))
    target = _target_ms(targets, default_target_s)
    return (
        select_from_contacts(start, end, service)
        .add_columns(
            C.service,
            func.count(),
            _count(answered),
            _count(abandoned),
            _sum(abandoned, duration_ms(C.queued_at, C.abandoned_at)),
            _count(and_(answered, target.is_not(None), wait <= target)),
            _sum(answered, wait),
            _count(finished),
            _sum(finished, duration_ms(C.answered_at, C.ended_at)),
            _count(and_(finished, C.wrap_up_ms.is_not(None))),
            _sum(finished, C.wrap_up_ms),
            _count(C.transfers > 0),
            _count(C.callback.is_(True)),
        )
        .where(C.service.is_not(None), C.queued_at.is_not(None))
        .group_by(C.service)
        .order_by(C.service)
    )


def service_names_query(start: datetime, end: datetime, service: str | None) -> Select[Any]:
    queued = select_from_contacts(start, end, service).add_columns(C.service).distinct()
    return queued.where(C.service.is_not(None), C.queued_at.is_not(None)).order_by(C.service)


def _target_ms(targets: Mapping[str, float | None], default_s: float | None) -> Any:
    default = literal(None if default_s is None else round(default_s * 1000), BigInteger())
    known = {name: round(t * 1000) for name, t in targets.items() if t is not None}
    if not known:
        return default
    return case(
        *((C.service == name, literal(ms, BigInteger())) for name, ms in sorted(known.items())),
        else_=default,
    )


def select_from_contacts(start: datetime, end: datetime, service: str | None) -> Select[Any]:
    """An empty SELECT over the contacts first seen in ``[start, end)`` (of ``service``)."""
    query = (
        select().select_from(C).where(C.entered_at >= instant(start), C.entered_at < instant(end))
    )
    return query if service is None else query.where(C.service == service)


def service_figures(row: Any) -> ServiceFigures:
    name, *numbers = row
    return ServiceFigures(str(name), *(int(n) for n in numbers))


@dataclass(frozen=True, slots=True)
class AgentContactFigures:
    """One agent's contacts in the period (see ``omnivox.reports.agents``)."""

    agent_id: str
    handled: int  # answered
    ended: int  # answered and ended
    talk_ms: int  # over the ended
    wrap_up_ms: int  # over the ended


@dataclass(frozen=True, slots=True)
class AgentStateFigures:
    """One agent's time in one state, clipped to the period, and missed offers begun in it."""

    agent_id: str
    state: str
    ms: int
    missed: int


def agent_contacts_query(start: datetime, end: datetime, service: str | None) -> Select[Any]:
    answered = C.answered_at.is_not(None)
    ended = and_(answered, C.ended_at.is_not(None))
    return (
        select_from_contacts(start, end, service)
        .add_columns(
            C.agent_id,
            _count(answered),
            _count(ended),
            _sum(ended, duration_ms(C.answered_at, C.ended_at)),
            _sum(ended, func.coalesce(C.wrap_up_ms, 0)),
        )
        .where(C.agent_id.is_not(None))
        .group_by(C.agent_id)
    )


def agent_states_query(start: datetime, end: datetime, clip_end: datetime) -> Select[Any]:
    """State intervals overlapping ``[start, end)``, their time clipped to
    ``[start, clip_end)`` (an open one runs until ``clip_end``), per agent and state."""
    lo, hi = instant(start), instant(clip_end)
    since = case((S.since > lo, S.since), else_=lo)
    until = case((and_(S.until.is_not(None), S.until < hi), S.until), else_=hi)
    missed = and_(S.state == "not_ready", S.reason == "missed", S.since >= lo, S.since < hi)
    return (
        select()
        .select_from(S)
        .add_columns(S.agent_id, S.state, func.sum(duration_ms(since, until)), _count(missed))
        .where(S.since < instant(end), or_(S.until.is_(None), S.until > lo))
        .group_by(S.agent_id, S.state)
    )


def agent_contact_figures(row: Any) -> AgentContactFigures:
    agent, *numbers = row
    return AgentContactFigures(str(agent), *(int(n) for n in numbers))


def agent_state_figures(row: Any) -> AgentStateFigures:
    agent, state, ms, missed = row
    return AgentStateFigures(str(agent), str(state), int(ms or 0), int(missed))


def exits_query(start: datetime, end: datetime, service: str | None) -> Select[Any]:
    """Abandoned IVR journeys started in ``[start, end)`` (ending at ``service``), counted
    per scenario and the node they stopped at."""
    query = (
        select(Journey.scenario, Journey.stopped_at, func.count())
        .where(Journey.started_at >= instant(start), Journey.started_at < instant(end))
        .where(Journey.status == "abandoned")
        .group_by(Journey.scenario, Journey.stopped_at)
    )
    return query if service is None else query.where(Journey.service == service)


def switch_kinds_query(start: datetime, end: datetime) -> Select[Any]:
    """Contacts first seen in ``[start, end)`` that took the IVR's channel switch, per kind."""
    return (
        select_from_contacts(start, end, None)
        .add_columns(C.switched_to, func.count())
        .where(C.switched_to.is_not(None), C.switched_to != "")
        .group_by(C.switched_to)
    )


def journey_statuses_query(start: datetime, end: datetime, service: str | None) -> Select[Any]:
    """Journeys started in ``[start, end)`` (ending at ``service``), per scenario and status."""
    query = (
        select(Journey.scenario, Journey.status, func.count())
        .where(Journey.started_at >= instant(start), Journey.started_at < instant(end))
        .group_by(Journey.scenario, Journey.status)
    )
    return query if service is None else query.where(Journey.service == service)


def journey_paths_query(start: datetime, end: datetime, service: str | None) -> Select[Any]:
    """Only the scenario and path of the journeys started in ``[start, end)``, oldest first:
    what the menu and speech figures read (no whole journey records)."""
    query = (
        select(Journey.scenario, Journey.path)
        .where(Journey.started_at >= instant(start), Journey.started_at < instant(end))
        .order_by(Journey.started_at, Journey.id)
    )
    return query if service is None else query.where(Journey.service == service)
