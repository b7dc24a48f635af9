"""Per-agent report from the store's per-agent sums (SQL GROUP BYs over contacts and state
intervals): contacts handled, handle time, occupancy, missed offers.

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

from customers.store.report_queries import AgentContactFigures, AgentStateFigures
from omnivox.reports.common import Report, Row, pct, table

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
NONE = AgentContactFigures("", 0, 0, 0, 0)


def _agent(contacts: AgentContactFigures, states: Sequence[AgentStateFigures]) -> Row:
    talk, wrap = contacts.talk_ms / 1000.0, contacts.wrap_up_ms / 1000.0
    by_state: dict[str, float] = {}
    for row in states:
        by_state[row.state] = by_state.get(row.state, 0.0) + row.ms / 1000.0
    busy = sum(by_state.get(s, 0.0) for s in BUSY)
    working = sum(by_state.get(s, 0.0) for s in WORKING)
    return {
        "handled": contacts.handled,
        "talk_s": round(talk, 1),
        "wrap_up_s": round(wrap, 1),
        "handle_s": round(talk + wrap, 1),
        "aht_s": round((talk + wrap) / contacts.ended, 1) if contacts.ended else None,
        "occupancy_pct": pct(busy, working),
        "missed": sum(r.missed for r in states),
        "signed_in_s": round(sum(v for s, v in by_state.items() if s != "offline"), 1),
    }


def agent_report(
    contacts: Sequence[AgentContactFigures],
    states: Sequence[AgentStateFigures],
    *,
    names: Mapping[str, str] | None = None,
) -> Report:
    """One row per agent seen in the period (answering a contact or changing state), by id."""
    names = names or {}
    mine = {c.agent_id: c for c in contacts}
    theirs: dict[str, list[AgentStateFigures]] = {}
    for row in states:
        theirs.setdefault(row.agent_id, []).append(row)
    agents = sorted(set(mine) | set(theirs), key=lambda a: (len(a), a))
    rows = [
        {"agent": a, "name": names.get(a)} | _agent(mine.get(a, NONE), theirs.get(a, []))
        for a in agents
    ]
    return table("agents", COLUMNS, rows, {"agents": len(rows)})
