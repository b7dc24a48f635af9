"""IVR reports over stored journeys: containment, where callers leave, time in menus, speech.

Definitions:

* containment_pct (self-service): journeys that ended ``completed`` in the IVR (served, or
  moved to another channel such as an SMS link) ÷ finished journeys (completed, transferred,
  abandoned, failed); journeys still in progress are left out.
* avg_menu_s: mean time from a menu's start to the caller's choice, over menu visits with one.
* speech_share_pct: accepted answers (menu choices, digits, channel choices) given by voice
  ÷ all accepted answers; speech_confidence: the mean confidence of every recognition
  (accepted or not), None when no journey recorded one.
* exits: abandoned journeys by the node they stopped at (``stopped_at``), with the share of the
  scenario's abandoned journeys (counted by one SQL GROUP BY; the rest reads journey paths).
"""

from __future__ import annotations

from collections.abc import Sequence

from customers.records import JourneyRecord
from omnivox.reports.common import Report, Row, group, mean, pct, table
from omnivox.reports.journeys import answers, confidences, is_speech, menu_visits

FINISHED = ("completed", "transferred", "abandoned", "failed")
IVR_COLUMNS = (
    "scenario",
    "journeys",
    *FINISHED,
    "in_progress",
    "containment_pct",
    "menu_visits",
    "avg_menu_s",
    "speech_share_pct",
    "speech_confidence",
)
EXIT_COLUMNS = ("scenario", "node", "abandoned", "share_pct")


def _figures(journeys: Sequence[JourneyRecord]) -> Row:
    counts = {status: sum(1 for j in journeys if j.status == status) for status in FINISHED}
    visits = [v for j in journeys for v in menu_visits(j.path)]
    given = [a for j in journeys for a in answers(j.path)]
    heard = [c for j in journeys for c in confidences(j.path)]
    return {
        "journeys": len(journeys),
        **counts,
        "in_progress": sum(1 for j in journeys if j.status == "in_progress"),
        "containment_pct": pct(counts["completed"], sum(counts.values())),
        "menu_visits": len(visits),
        "avg_menu_s": mean(v.seconds for v in visits),
        "speech_share_pct": pct(sum(1 for a in given if is_speech(a)), len(given)),
        "speech_confidence": mean(heard, 3),
    }


def ivr_report(journeys: Sequence[JourneyRecord]) -> Report:
    """One row per scenario; ``summary`` is every scenario together."""
    rows = [
        {"scenario": name} | _figures(items)
        for name, items in sorted(group(journeys, lambda j: j.scenario).items())
    ]
    return table("ivr", IVR_COLUMNS, rows, {"scenario": "all"} | _figures(journeys))


def exits_report(counts: Sequence[tuple[str, str | None, int]]) -> Report:
    """Where callers hang up: abandoned journeys by scenario and last node, most first, from
    the store's ``(scenario, stopped_at, count)``."""
    by_scenario: dict[str, dict[str, int]] = {}
    for scenario, node, count in counts:
        nodes = by_scenario.setdefault(scenario, {})
        nodes[node or "(start)"] = nodes.get(node or "(start)", 0) + count
    rows: list[Row] = []
    for scenario, nodes in sorted(by_scenario.items()):
        total = sum(nodes.values())
        for node, left in sorted(nodes.items(), key=lambda kv: (-kv[1], kv[0])):
            rows.append(
                {
                    "scenario": scenario,
                    "node": node,
                    "abandoned": left,
                    "share_pct": pct(left, total),
                }
            )
    return table("ivr-exits", EXIT_COLUMNS, rows, {"abandoned": sum(c for _, _, c in counts)})
