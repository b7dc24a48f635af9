"""Per-service report over contact rows: volumes, service level, speed of answer, handling.

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

from collections.abc import Callable, Mapping, Sequence

from customers.store.reporting import ContactRow
from omnivox.reports.common import Report, Row, group, mean, pct, seconds, table

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


def _figures(contacts: Sequence[ContactRow], target: float | None) -> Row:
    answered = [c for c in contacts if c.answered_at is not None]
    abandoned = [c for c in contacts if c.abandoned_at is not None]
    waits = [seconds(c.queued_at, c.answered_at) for c in answered]
    in_target = (
        sum(1 for w in waits if w is not None and w <= target) if target is not None else None
    )
    finished = [c for c in answered if c.ended_at is not None]
    talks = [seconds(c.answered_at, c.ended_at) or 0.0 for c in finished]
    return {
        "offered": len(contacts),
        "answered": len(answered),
        "abandoned": len(abandoned),
        "abandon_pct": pct(len(abandoned), len(contacts)),
        "avg_abandon_s": mean(seconds(c.queued_at, c.abandoned_at) for c in abandoned),
        "sl_target_s": target,
        "answered_in_target": in_target,
        "service_level_pct": (
            pct(in_target, len(answered) + len(abandoned)) if in_target is not None else None
        ),
        "asa_s": mean(waits),
        "avg_talk_s": mean(talks),
        "avg_wrap_up_s": mean(c.wrap_up_s for c in finished),
        "aht_s": mean(t + (c.wrap_up_s or 0.0) for t, c in zip(talks, finished, strict=True)),
        "transfers": sum(1 for c in contacts if c.transfers > 0),
        "callbacks": sum(1 for c in contacts if c.callback),
    }


def service_report(
    contacts: Sequence[ContactRow],
    targets: Mapping[str, float] | Callable[[str], float | None],
    *,
    default_target_s: float = DEFAULT_TARGET_S,
) -> Report:
    """One row per service with queued contacts, by name; ``summary`` is every service
    together (its service level uses each contact's own service target)."""

    def target_of(service: str) -> float:
        found = targets(service) if callable(targets) else targets.get(service)
        return float(found) if found is not None else default_target_s

    queued = [c for c in contacts if c.service is not None and c.queued_at is not None]
    rows = [
        {"service": name} | _figures(items, target_of(name))
        for name, items in sorted(group(queued, lambda c: c.service).items())
    ]
    summary = {"service": "all"} | _figures(queued, None)
    within = sum(r["answered_in_target"] or 0 for r in rows)
    summary["answered_in_target"] = within
    summary["service_level_pct"] = pct(within, summary["answered"] + summary["abandoned"])
    return table("services", COLUMNS, rows, summary)
