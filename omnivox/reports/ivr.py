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
  scenario's abandoned journeys.

Counts by status and the exits are SQL GROUP BYs; menu visits and speech read the journeys'
paths (only the scenario and path columns are loaded): a visit is a sequence of steps, which
SQL cannot follow portably.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from customers.records import JourneyRecord
from omnivox.reports.common import Report, Row, group, mean, pct, table
from omnivox.reports.journeys import HasPath, answers, confidences, is_speech, menu_visits

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


def _figures(statuses: Mapping[str, int], paths: Sequence[Sequence[Any]]) -> Row:
    counts = {status: statuses.get(status, 0) for status in FINISHED}
    visits = [v for path in paths for v in menu_visits(path)]
    given = [a for path in paths for a in answers(path)]
    heard = [c for path in paths for c in confidences(path)]
    return {
        "journeys": sum(statuses.values()),
        **counts,
        "in_progress": statuses.get("in_progress", 0),
        "containment_pct": pct(counts["completed"], sum(counts.values())),
        "menu_visits": len(visits),
        "avg_menu_s": mean(v.seconds for v in visits),
        "speech_share_pct": pct(sum(1 for a in given if is_speech(a)), len(given)),
        "speech_confidence": mean(heard, 3),
    }


def ivr_report(statuses: Sequence[tuple[str, str, int]], paths: Sequence[HasPath]) -> Report:
    """One row per scenario; ``summary`` is every scenario together. ``statuses`` are
    ``(scenario, status, count)`` (the store's GROUP BY), ``paths`` the journeys' paths."""
    counts: dict[str, Counter[str]] = {}
    for scenario, status, n in statuses:
        counts.setdefault(scenario, Counter())[status] += n
    by_scenario = group(paths, lambda j: j.scenario)
    rows = [
        {"scenario": name} | _figures(counts[name], [j.path for j in by_scenario.get(name, [])])
        for name in sorted(counts)
    ]
    total = _figures(sum(counts.values(), Counter()), [j.path for j in paths])
    return table("ivr", IVR_COLUMNS, rows, {"scenario": "all"} | total)


def ivr_report_of(journeys: Sequence[JourneyRecord]) -> Report:
    """The definition over whole loaded journeys (what the SQL counts are held to)."""
    statuses = Counter((j.scenario, j.status) for j in journeys)
    return ivr_report([(s, st, n) for (s, st), n in statuses.items()], journeys)


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
