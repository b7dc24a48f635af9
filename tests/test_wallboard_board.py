"""The wallboard's pure core: the board built from the router's read API (JSON dicts),
today's service-level counts and the router's live ones, and the bounds of a local day;
without sockets or clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from omnivox.wallboard import LevelCounts, build_board, day_bounds, live_level
from routing.core.model import Service
from routing.core.service_level import Tally, at_risk

MON, TUE = date(2026, 3, 9), date(2026, 3, 10)
SERVICES = {
    "billing": Service("billing", requires={"billing": 5}, sl_target_s=20, sl_percent=80),
    "tv_support": Service(
        "tv_support", requires={"tv": 5}, sl_target_s=30, sl_percent=90, sl_window_s=600
    ),
}


def agent(aid: str, state: str, in_state_s: float, *services: str, **extra: Any) -> dict:
    return {
        "id": aid,
        "login": f"a{aid}",
        "name": f"Agent {aid}",
        "state": state,
        "reason": extra.get("reason"),
        "in_state_s": in_state_s,
        "services": list(services),
        "team": "north",
    }


def contact(cid: str, service: str, phase: str, wait_s: float) -> dict:
    return {"id": cid, "service": service, "phase": phase, "wait_s": wait_s, "agent_id": None}


def test_service_level_is_in_target_over_answered_plus_abandoned() -> None:
    assert LevelCounts(answered=3, in_target=2, abandoned=1).percent == 50.0
    assert LevelCounts(answered=0, in_target=0, abandoned=2).percent == 0.0
    assert LevelCounts().percent is None


def test_a_local_day_runs_from_midnight_to_midnight_in_its_zone() -> None:
    assert day_bounds(MON, UTC) == (
        datetime(2026, 3, 9, tzinfo=UTC),
        datetime(2026, 3, 10, tzinfo=UTC),
    )
    start, end = day_bounds(MON, timezone(timedelta(hours=3)))
    assert start.astimezone(UTC) == datetime(2026, 3, 8, 21, tzinfo=UTC)
    assert end - start == timedelta(days=1)
    # the day the clocks go forward in New York has 23 hours
    start, end = day_bounds(date(2026, 3, 8), ZoneInfo("America/New_York"))
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)
    local = day_bounds(MON, None)[0]
    assert local.tzinfo is not None and local.hour == 0


def test_board_per_service_waiting_oldest_wait_and_agents_by_state() -> None:
    agents = [
        agent("1", "ready", 12.0, "billing"),
        agent("2", "on_call", 95.0, "billing", "tv_support"),
        agent("3", "not_ready", 300.0, "tv_support", reason="lunch"),
        agent("4", "offline", 9999.0, "billing"),
        agent("5", "reserved", 2.0, "billing"),
    ]
    contacts = [
        contact("c1", "billing", "waiting", 41.5),
        contact("c2", "billing", "offered", 50.0),  # ringing an agent: the caller still waits
        contact("c3", "billing", "talking", 8.0),  # answered after 8 s: not waiting any more
        contact("c4", "tv_support", "waiting", 3.2),
    ]
    levels = {"billing": LevelCounts(answered=1, in_target=1)}
    board = build_board(SERVICES, agents, contacts, levels, now=1e9, day=MON)

    billing, tv = board["services"]
    assert billing["name"] == "billing" and tv["name"] == "tv_support"
    assert (billing["waiting"], billing["ringing"], billing["talking"]) == (2, 1, 1)
    assert billing["oldest_wait_s"] == 50.0
    assert billing["sl"] == {
        "target_s": 20,
        "goal_percent": 80,
        "answered": 1,
        "in_target": 1,
        "abandoned": 0,
        "percent": 100.0,
        "status": "ok",
    }
    assert billing["agents"]["ready"] == 1 and billing["agents"]["on_call"] == 1
    assert billing["agents"]["offline"] == 1 and billing["agents"]["reserved"] == 1
    assert (tv["waiting"], tv["oldest_wait_s"]) == (1, 3.2)
    assert tv["sl"]["percent"] is None and tv["sl"]["status"] == "none"
    assert tv["agents"]["not_ready"] == 1

    # signed-in agents, by state order, then longest in state; offline agents are not listed
    assert [a["id"] for a in board["agents"]] == ["1", "5", "2", "3"]
    assert board["agents"][3]["reason"] == "lunch" and board["agents"][3]["in_state_s"] == 300.0
    assert board["totals"]["waiting"] == 3
    assert board["totals"]["agents"]["offline"] == 1
    assert board["day"] == "2026-03-09" and board["at"] == 1e9


def test_board_marks_a_service_behind_its_goal_and_keeps_services_only_contacts_name() -> None:
    levels = {"billing": LevelCounts(answered=2, in_target=1)}  # waits 30 s and 2 s of 20
    contacts = [contact("x", "retired", "waiting", 7.0)]
    board = build_board(SERVICES, [], contacts, levels, now=0.0, day=MON)
    names = [s["name"] for s in board["services"]]
    assert names == ["billing", "tv_support", "retired"]
    billing, retired = board["services"][0], board["services"][2]
    assert billing["sl"]["percent"] == 50.0 and billing["sl"]["status"] == "behind"
    assert billing["waiting"] == 0 and billing["oldest_wait_s"] == 0
    assert retired["waiting"] == 1 and retired["sl"]["target_s"] is None
    assert board["agents"] == []


def test_board_tolerates_missing_or_odd_fields() -> None:
    agents = [{"id": "9", "state": "break_glass", "in_state_s": None}]
    contacts = [{"id": "c", "service": "billing", "phase": "waiting", "wait_s": "n/a"}]
    board = build_board(SERVICES, agents, contacts, {}, now=0.0, day=MON)
    assert board["agents"] == [
        {
            "id": "9",
            "name": "9",
            "state": "break_glass",
            "reason": None,
            "in_state_s": 0.0,
            "services": [],
            "team": None,
        }
    ]
    assert board["totals"]["agents"]["break_glass"] == 1
    assert board["services"][0]["oldest_wait_s"] == 0.0


def test_live_level_is_the_routers_window_beside_today_and_behind_is_its_at_risk_set() -> None:
    tallies = {"billing": Tally(met=6, missed=3, late=1), "tv_support": Tally(met=9, missed=1)}
    risky = at_risk(tallies, SERVICES)  # the router's own verdict: billing 60 % < 80 %
    contacts = [contact("x", "retired", "waiting", 7.0)]
    levels = {"billing": LevelCounts(answered=4, in_target=4)}
    board = build_board(
        SERVICES, [], contacts, levels, now=0.0, day=MON, live=tallies, at_risk=risky
    )

    billing, tv, retired = board["services"]
    assert billing["live"] == {
        "window_s": 900.0,
        "measured": True,
        "met": 6,
        "missed": 3,
        "late": 1,
        "percent": 60.0,
        "behind": True,
        "status": "behind",
    }
    # today's figure sits beside it, computed its own way: 100 % today, behind live
    assert billing["sl"]["percent"] == 100.0 and billing["sl"]["status"] == "ok"
    assert tv["live"]["percent"] == 90.0 and tv["live"]["window_s"] == 600
    assert (tv["live"]["behind"], tv["live"]["status"]) == (False, "ok")  # 90 % of 90 %: met
    assert retired["live"]["measured"] is False and retired["live"]["window_s"] is None
    assert retired["live"]["percent"] is None and retired["live"]["status"] == "none"
    assert board["totals"]["behind"] == 1


def test_nothing_counted_or_not_measured_has_no_live_percent() -> None:
    service = SERVICES["billing"]
    empty = live_level(Tally(), service, False)
    assert (empty["measured"], empty["percent"], empty["status"]) == (True, None, "none")
    unread = live_level(None, service, False)
    assert (unread["measured"], unread["percent"], unread["met"]) == (False, None, 0)
    # before the router's first read (or while no service acts on its level): no tallies
    board = build_board(SERVICES, [], [], {}, now=0.0, day=MON)
    assert [s["live"]["measured"] for s in board["services"]] == [False, False]
    assert board["totals"]["behind"] == 0


def test_live_percent_is_rounded_down_so_a_level_shown_at_the_goal_is_not_behind() -> None:
    service = SERVICES["billing"]  # goal 80 %
    almost = Tally(met=7999, missed=2000, late=1)  # 79.99 %
    assert at_risk({"billing": almost}, SERVICES) == {"billing"}
    assert live_level(almost, service, True)["percent"] == 79.9
    assert live_level(Tally(met=2, missed=1), service, False)["percent"] == 66.6
    assert live_level(Tally(met=4, late=1), service, False)["percent"] == 80.0
    assert live_level(Tally(met=1), service, False)["percent"] == 100.0
    assert live_level(Tally(missed=2), service, True)["percent"] == 0.0


def test_a_live_count_that_is_not_a_whole_number_is_refused() -> None:
    with pytest.raises(ValueError, match="whole number"):
        live_level(Tally(met=-1), SERVICES["billing"], False)
    with pytest.raises(ValueError, match="whole number"):
        live_level(Tally(met=1.5), SERVICES["billing"], False)  # type: ignore[arg-type]
