"""The personalisation effect, per menu: was the promoted option the one chosen, and how much
menu time did the personalised order save against the static one.

Definitions, over menu visits where the caller chose an option:

* personalised visits: the menu promoted at least one option for this caller.
* promoted_chosen_pct: personalised visits whose choice was a promoted option.
* positions_saved: static place − heard place of the chosen option (1-based), averaged over
  personalised visits. The static order is the options by their usual key (1-9, 0, *, #),
  as a scenario lists them; a choice that personalisation pushed down counts negative.
* est_saved_s: positions_saved × ``seconds_per_option`` (default 2.5 s, the length of one
  announced option: "For billing, press 1."), the listening the caller no longer needs.
* avg_menu_s_personalised / avg_menu_s_static: the measured mean time to choose on
  personalised visits and on visits that heard the static order, for comparison.
"""

from __future__ import annotations

from collections.abc import Sequence

from omnivox.reports.common import Report, Row, group, mean, pct, table
from omnivox.reports.journeys import HasPath, MenuVisit, menu_visits

SECONDS_PER_OPTION = 2.5
COLUMNS = (
    "scenario",
    "menu",
    "visits",
    "choices",
    "personalised",
    "promoted_chosen",
    "promoted_chosen_pct",
    "positions_saved",
    "est_saved_s",
    "avg_menu_s_personalised",
    "avg_menu_s_static",
)


def _saved(visit: MenuVisit) -> int | None:
    heard, static = visit.heard_position(), visit.static_position()
    return None if heard is None or static is None else static - heard


def _figures(visits: Sequence[MenuVisit], seconds_per_option: float) -> Row:
    chosen = [v for v in visits if v.chosen is not None]
    personal = [v for v in chosen if v.personalised]
    promoted = sum(1 for v in personal if v.chose_promoted())
    positions = mean((_saved(v) for v in personal), 2)
    return {
        "visits": len(visits),
        "choices": len(chosen),
        "personalised": len(personal),
        "promoted_chosen": promoted,
        "promoted_chosen_pct": pct(promoted, len(personal)),
        "positions_saved": positions,
        "est_saved_s": round(positions * seconds_per_option, 1) if positions is not None else None,
        "avg_menu_s_personalised": mean(v.seconds for v in personal),
        "avg_menu_s_static": mean(v.seconds for v in chosen if not v.personalised),
    }


def personalisation_report(
    journeys: Sequence[HasPath], *, seconds_per_option: float = SECONDS_PER_OPTION
) -> Report:
    """One row per (scenario, menu node); ``summary`` is every menu together."""
    visits = [(j.scenario, v) for j in journeys for v in menu_visits(j.path)]
    rows = [
        {"scenario": scenario, "menu": node} | _figures([v for _, v in items], seconds_per_option)
        for (scenario, node), items in sorted(group(visits, lambda p: (p[0], p[1].node)).items())
    ]
    summary = _figures([v for _, v in visits], seconds_per_option)
    return table(
        "personalisation",
        COLUMNS,
        rows,
        summary | {"seconds_per_option": seconds_per_option},
    )
