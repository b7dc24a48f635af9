"""Per-agent report: contacts handled, handle time, occupancy, missed offers.

Definitions, over the period ``[start, end)`` (state intervals clipped to it; one still open
runs until ``now``):

* handled: contacts the agent answered; talk_s / wrap_up_s / handle_s: their totals
  (handle = talk + wrap-up), aht_s: handle_s ÷ handled contacts that ended.
* occupancy_pct: time on a call or in wrap-up ÷ time available or busy
  (ready + reserved + on_call + wrap_up); not-ready and offline time is left out.
* missed: offers the agent let ring out (they went not-ready with reason "missed").
* signed_in_s: time in any state but offline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from customers.store.reporting import AgentStateRow, ContactRow
from omnivox.reports.common import Report, Row, group, pct, seconds, table

BUSY = frozenset({"on_call", "wrap_up"})
WORKING = BUSY | {"ready", "reserved"}
COLUMNS = (
    "agent",
    "name",
    "handled",
    "talk_s",
    "wrap_up_s",
    "handle_s",
    "aht_s",
    "occupancy_pct",
    "missed",
    "signed_in_s",
)


def _clipped(row: AgentStateRow, start: datetime, end: datetime) -> float:
    since, until = max(row.since, start), min(row.until or end, end)
    return max(0.0, (until - since).total_seconds())


def _agent(
    contacts: Sequence[ContactRow], states: Sequence[AgentStateRow], start: datetime, end: datetime
) -> Row:
    handled = [c for c in contacts if c.answered_at is not None]
    ended = [c for c in handled if c.ended_at is not None]
    talk = sum(seconds(c.answered_at, c.ended_at) or 0.0 for c in ended)
    wrap = sum(c.wrap_up_s or 0.0 for c in ended)
    by_state: dict[str, float] = {}
    for row in states:
        by_state[row.state] = by_state.get(row.state, 0.0) + _clipped(row, start, end)
    busy = sum(by_state.get(s, 0.0) for s in BUSY)
    working = sum(by_state.get(s, 0.0) for s in WORKING)
    return {
        "handled": len(handled),
        "talk_s": round(talk, 1),
        "wrap_up_s": round(wrap, 1),
        "handle_s": round(talk + wrap, 1),
        "aht_s": round((talk + wrap) / len(ended), 1) if ended else None,
        "occupancy_pct": pct(busy, working),
        "missed": sum(
            1
            for r in states
            if r.state == "not_ready" and r.reason == "missed" and start <= r.since < end
        ),
        "signed_in_s": round(sum(v for s, v in by_state.items() if s != "offline"), 1),
    }


def agent_report(
    contacts: Sequence[ContactRow],
    states: Sequence[AgentStateRow],
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    names: Mapping[str, str] | None = None,
) -> Report:
    """One row per agent seen in the period (answering a contact or changing state), by id."""
    end = min(end, now)
    names = names or {}
    mine = group((c for c in contacts if c.agent_id is not None), lambda c: c.agent_id)
    theirs = group(states, lambda s: s.agent_id)
    agents = sorted(set(mine) | set(theirs), key=lambda a: (len(a), a))
    rows = [
        {"agent": a, "name": names.get(a)} | _agent(mine.get(a, []), theirs.get(a, []), start, end)
        for a in agents
    ]
    return table("agents", COLUMNS, rows, {"agents": len(rows)})
