"""The wallboard's pure core: today's service-level tally and the board built from the router's
read API (JSON dicts), without sockets or clocks."""

from __future__ import annotations

from datetime import date
from typing import Any

from omnivox.wallboard import LevelCounts, ServiceLevelToday, build_board
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


def test_service_level_counts_answers_within_target_against_answered_plus_abandoned() -> None:
    tally = ServiceLevelToday()
    for wait in (3.0, 20.0, 25.0):  # 20 s is within a 20 s target
        tally.record(MON, "billing", "answered", wait, 20)
    tally.record(MON, "billing", "abandoned", 40.0, 20)
    counts = tally.on(MON)["billing"]
    assert (counts.answered, counts.in_target, counts.abandoned) == (3, 2, 1)
    assert counts.percent == 50.0  # 2 in target of 4 done
    assert LevelCounts().percent is None


def test_service_level_starts_again_on_a_new_day() -> None:
    tally = ServiceLevelToday()
    tally.record(MON, "billing", "answered", 1.0, 20)
    assert tally.on(TUE) == {}
    tally.record(TUE, "billing", "abandoned", 5.0, 20)
    assert tally.on(TUE)["billing"].percent == 0.0
    assert tally.on(TUE)["billing"].answered == 0


def test_unknown_target_counts_the_answer_but_not_as_in_target() -> None:
    tally = ServiceLevelToday()
    tally.record(MON, "gone", "answered", 1.0, None)
    assert tally.on(MON)["gone"].in_target == 0


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
    tally = ServiceLevelToday()
    tally.record(MON, "billing", "answered", 8.0, 20)
    board = build_board(SERVICES, agents, contacts, tally.on(MON), now=1e9, day=MON)

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
    tally = ServiceLevelToday()
    tally.record(MON, "billing", "answered", 30.0, 20)
    tally.record(MON, "billing", "answered", 2.0, 20)
    contacts = [contact("x", "retired", "waiting", 7.0)]
    board = build_board(SERVICES, [], contacts, tally.on(MON), now=0.0, day=MON)
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
