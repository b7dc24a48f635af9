"""Per-service report from the store's per-service sums and counts (one SQL GROUP BY):
volumes, service level, speed of answer, handling.

Definitions (every time is the recorder's clock):

* offered: contacts queued to the service (the IVR's hand-over or the router's queue entry);
  answered / abandoned: of those, answered by an agent / gone before an answer.
* avg_abandon_s: mean of queue entry to abandon, over abandoned contacts.
* service_level_pct: answered within the service's target (``sl_target_s`` of the routing
  config) ÷ (answered + abandoned); contacts still waiting are left out.
* asa_s (average speed of answer): mean of queue entry to answer, over answered contacts.
* avg_talk_s: answer to end; avg_wrap_up_s: the agent's wrap-up after the contact;
  aht_s (average handle time): talk + wrap-up (0 when none was recorded), over ended answers.
* transfers: contacts that came to this service from another one (queued again elsewhere);
  callbacks: contacts routed as a callback, or whose caller asked the IVR for one.
"""

from __future__ import annotations

from collections.abc import Sequence

from customers.store.report_queries import ServiceFigures
from omnivox.reports.common import Report, Row, pct, table

COLUMNS = (
    "service",
    "offered",
    "answered",
    "abandoned",
    "abandon_pct",
    "avg_abandon_s",
    "sl_target_s",
    "answered_in_target",
    "service_level_pct",
    "asa_s",
    "avg_talk_s",
    "avg_wrap_up_s",
    "aht_s",
    "transfers",
    "callbacks",
)
DEFAULT_TARGET_S = 20.0
SUMMED = tuple(name for name in ServiceFigures.__dataclass_fields__ if name != "service")


def average_s(total_ms: int, count: int, digits: int = 1) -> float | None:
    """The rounded mean in seconds of ``count`` durations summing to ``total_ms``."""
    return round(total_ms / 1000.0 / count, digits) if count else None


def _row(f: ServiceFigures, target: float | None) -> Row:
    return {
        "offered": f.offered,
        "answered": f.answered,
        "abandoned": f.abandoned,
        "abandon_pct": pct(f.abandoned, f.offered),
        "avg_abandon_s": average_s(f.abandon_ms, f.abandoned),
        "sl_target_s": target,
        "answered_in_target": f.in_target,
        "service_level_pct": pct(f.in_target, f.answered + f.abandoned),
        "asa_s": average_s(f.wait_ms, f.answered),
        "avg_talk_s": average_s(f.talk_ms, f.finished),
        "avg_wrap_up_s": average_s(f.wrap_up_ms, f.wrapped),
        "aht_s": average_s(f.talk_ms + f.wrap_up_ms, f.finished),
        "transfers": f.transfers,
        "callbacks": f.callbacks,
    }


def service_report(figures: Sequence[ServiceFigures], targets: dict[str, float]) -> Report:
    """One row per service with queued contacts, by name; ``summary`` is every service
    together (its service level counts each contact against its own service's target).
    ``targets`` are the targets in seconds the figures were counted with."""
    rows = [{"service": f.service} | _row(f, targets.get(f.service)) for f in figures]
    total = ServiceFigures("all", *(sum(getattr(f, n) for f in figures) for n in SUMMED))
    summary = {"service": "all"} | _row(total, None)
    return table("services", COLUMNS, rows, summary)
