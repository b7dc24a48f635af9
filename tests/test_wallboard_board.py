"""The wallboard's pure core: the board built from the router's read API (JSON dicts) and
today's service-level counts, and the bounds of a local day; without sockets or clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from omnivox.wallboard import LevelCounts, build_board, day_bounds
from routing.core.model import Service

MON, TUE = date(2026, 3, 9), date(2026, 3, 10)
SERVICES = {
    "billing": Service("billing", requires={"billing": 5}, sl_target_s=20, sl_percent=80),
    "tv_support": Service("tv_support", requires={"tv": 5}, sl_target_s=30, sl_percent=90),
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
