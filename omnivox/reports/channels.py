"""Channels report over interactions: volume by channel, channel switches within a matter,
repeat contacts.

Definitions:

* A **matter** is one customer's inbound contacts about one thing: the same customer and the
  same intent (or, without an intent, the same topic), each within ``window_days`` (default 7)
  of the previous one. A contact with neither intent nor topic is a matter of its own.
* switch_rate_pct: matters whose contacts used more than one channel ÷ matters.
  switched_away: matters that started on the channel and continued on another one.
* repeat_rate_pct: inbound contacts followed by another contact in the same matter ÷ inbound
  contacts (a customer who had to come back), i.e. (contacts − matters) ÷ contacts.
* ivr_switches: channel switches the IVR offered and the caller took, by kind (from the
  routing records: SMS link, callback...).

The store counts all of these in SQL (``customers.store.report_channels``); :func:`matters`
and :func:`channel_figures` are the definitions in Python, which a test holds SQL to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from customers.records import InteractionRecord
from customers.store.report_channels import ChannelFigures
from omnivox.reports.common import Report, group, pct, table

WINDOW_DAYS = 7.0
COLUMNS = ("channel", "inbound", "outbound", "share_pct", "matters_started", "switched_away")


def matters(
    interactions: Sequence[InteractionRecord], window_days: float = WINDOW_DAYS
) -> list[list[InteractionRecord]]:
    """Inbound interactions grouped into matters (each oldest first), oldest matter first."""
    window = timedelta(days=window_days)
    inbound = sorted(
        (i for i in interactions if i.direction == "in"), key=lambda i: (i.occurred_at, i.id)
    )
    found: list[list[InteractionRecord]] = []
    latest: dict[tuple[int, str], list[InteractionRecord]] = {}
    for item in inbound:
        subject = item.intent or (f"topic:{item.topic}" if item.topic else None)
        if subject is None:
            found.append([item])
            continue
        key = (item.customer_id, subject)
        current = latest.get(key)
        if current is not None and item.occurred_at - current[-1].occurred_at <= window:
            current.append(item)
        else:
            latest[key] = [item]
            found.append(latest[key])
    return found


def channel_figures(
    interactions: Sequence[InteractionRecord], window_days: float = WINDOW_DAYS
) -> list[ChannelFigures]:
    """The definitions over loaded interactions, per channel by name (the store computes the
    same in SQL: ``CustomerStore.channel_figures``)."""
    grouped = matters(interactions, window_days)
    switched = [m for m in grouped if len({i.channel for i in m}) > 1]
    figures = []
    for channel, items in sorted(group(interactions, lambda i: i.channel).items()):
        count_in = sum(1 for i in items if i.direction == "in")
        figures.append(
            ChannelFigures(
                channel,
                count_in,
                len(items) - count_in,
                sum(1 for m in grouped if m[0].channel == channel),
                sum(1 for m in switched if m[0].channel == channel),
            )
        )
    return figures


def channel_report(
    figures: Sequence[ChannelFigures],
    switches: Mapping[str, int] | None = None,
    *,
    window_days: float = WINDOW_DAYS,
) -> Report:
    """One row per channel, most inbound first; matter figures in ``summary``. ``switches``
    are the IVR's channel switches taken, per kind (the store counts them)."""
    inbound = sum(f.inbound for f in figures)
    started = sum(f.matters_started for f in figures)
    switched = sum(f.switched_away for f in figures)
    rows = [
        {
            "channel": f.channel,
            "inbound": f.inbound,
            "outbound": f.outbound,
            "share_pct": pct(f.inbound, inbound),
            "matters_started": f.matters_started,
            "switched_away": f.switched_away,
        }
        for f in figures
    ]
    rows.sort(key=lambda r: (-r["inbound"], r["channel"]))
    return table(
        "channels",
        COLUMNS,
        rows,
        {
            "inbound": inbound,
            "matters": started,
            "switched_matters": switched,
            "switch_rate_pct": pct(switched, started),
            "repeat_rate_pct": pct(inbound - started, inbound),
            "window_days": window_days,
            "ivr_switches": dict(sorted((switches or {}).items())),
        },
    )
