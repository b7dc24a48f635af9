"""The channels report's aggregates in SQL (SQLite and PostgreSQL), by the definitions of
``omnivox.reports.channels``: volume by channel and direction, and the matters (one customer's
inbound contacts on one subject, each within the window of the previous one) counted with
window functions instead of reading every interaction.

A matter starts at an inbound contact without a subject (intent, else ``topic:<topic>``), or
whose previous contact on the same customer and subject (by time, then id) is more than the
window before it (times compared in whole milliseconds, as the other report queries do). A
running count of starts numbers the matters; each matter is counted once, under the channel it
started on, and as switched when its contacts used more than one channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, or_, select

from customers.models import Interaction
from customers.store.report_queries import elapsed_ms, instant

I = Interaction  # noqa: E741 - the table, as the other queries name theirs


@dataclass(frozen=True, slots=True)
class ChannelFigures:
    """One channel's contacts in the period and the matters that started on it."""

    channel: str
    inbound: int
    outbound: int
    matters_started: int
    switched_away: int  # of those, matters that went on to another channel


def _in_period(start: datetime, end: datetime) -> Any:
    return and_(I.occurred_at >= instant(start), I.occurred_at < instant(end))


def volume_query(start: datetime, end: datetime) -> Select[Any]:
    """Per channel: inbound and outbound contacts in ``[start, end)``."""
    return (
        select(
            I.channel,
            func.count(case((I.direction == "in", 1))),
            func.count(case((I.direction != "in", 1))),
        )
        .where(_in_period(start, end))
        .group_by(I.channel)
    )


def _subject() -> Any:
    """The intent, else ``topic:<topic>``, else NULL (empty text counts as none)."""
    return case(
        (and_(I.intent.is_not(None), I.intent != ""), I.intent),
        (and_(I.topic.is_not(None), I.topic != ""), literal("topic:") + I.topic),
        else_=None,
    )


def matters_query(start: datetime, end: datetime, window_ms: int) -> Select[Any]:
    """Per channel a matter started on: matters, those that switched, their contacts."""
    order = (I.occurred_at, I.id)
    inbound = (
        select(
            I.id,
            I.channel,
            I.customer_id,
            _subject().label("subject"),
            I.occurred_at,
            func.lag(I.occurred_at)
            .over(partition_by=(I.customer_id, _subject()), order_by=order)
            .label("previous"),
        )
        .where(_in_period(start, end), I.direction == "in")
        .subquery("inbound")
    )
    c = inbound.c
    starts = case(
        (
            or_(
                c.subject.is_(None),
                c.previous.is_(None),
                elapsed_ms(c.previous, c.occurred_at) > window_ms,
            ),
            1,
        ),
        else_=0,
    )
    numbered = select(
        c.channel,
        c.customer_id,
        c.subject,
        starts.label("starts"),
        func.sum(starts)
        .over(partition_by=(c.customer_id, c.subject), order_by=(c.occurred_at, c.id))
        .label("matter"),
    ).subquery("numbered")
    n = numbered.c
    per_matter = (
        select(
            func.max(case((n.starts == 1, n.channel))).label("first_channel"),
            func.count(func.distinct(n.channel)).label("channels"),
        )
        .group_by(n.customer_id, n.subject, n.matter)
        .subquery("matters")
    )
    m = per_matter.c
    return select(m.first_channel, func.count(), func.count(case((m.channels > 1, 1)))).group_by(
        m.first_channel
    )


def channel_figures(volumes: Sequence[Any], matters: Sequence[Any]) -> list[ChannelFigures]:
    """The two queries' rows joined by channel, by name."""
    started = {str(channel): (int(n), int(switched)) for channel, n, switched in matters}
    return [
        ChannelFigures(str(channel), int(inbound), int(outbound), *started.get(channel, (0, 0)))
        for channel, inbound, outbound in sorted(tuple(row) for row in volumes)
    ]
