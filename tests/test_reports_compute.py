"""Every report computed from the store over the seeded week (tests/reports_helpers.py), whose
answers are known by construction; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from customers.store import CustomerStore
from omnivox.reports import REPORTS, Query, Report, Sources
from omnivox.reports.params import instant
from tests.reports_helpers import FROM, T0, TARGETS, TO, Clock, Seeded, seed_history

WEEK = Query(instant("from", FROM), instant("to", TO, end_of_day=True))


@pytest.fixture
async def seeded(store: CustomerStore) -> Seeded:
    return await seed_history(store)


async def _report(store: CustomerStore, name: str, query: Query = WEEK) -> Report:
    sources = Sources(store=store, clock=Clock(T0 + timedelta(days=30)), targets=TARGETS.get)
    return await REPORTS[name].load(sources, query)


def _by(report: Report, key: str) -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in report.rows}


async def test_services(store: CustomerStore, seeded: Seeded) -> None:
    report = await _report(store, "services")
    rows = _by(report, "service")
    assert list(rows) == ["billing", "sales"]
    assert rows["billing"] == {
        "service": "billing",
        "offered": 5,
        "answered": 4,
        "abandoned": 1,
        "abandon_pct": 20.0,
        "avg_abandon_s": 50.0,
        "sl_target_s": 20.0,
        "answered_in_target": 2,  # waits 10 and 15 of 10, 15, 30, 45
        "service_level_pct": 40.0,  # 2 of 4 answered + 1 abandoned
        "asa_s": 25.0,
        "avg_talk_s": 100.0,
        "avg_wrap_up_s": 20.0,
        "aht_s": 120.0,
        "transfers": 0,
        "callbacks": 0,
    }
    sales = rows["sales"]
    assert (sales["offered"], sales["answered"], sales["abandoned"]) == (4, 4, 0)
    assert (sales["sl_target_s"], sales["answered_in_target"], sales["service_level_pct"]) == (
        30.0,
        4,
        100.0,
    )
    assert sales["asa_s"] == 13.8  # (25 + 5 + 10 + 15) / 4 = 13.75
    assert (sales["avg_talk_s"], sales["avg_wrap_up_s"], sales["aht_s"]) == (60.0, 10.0, 70.0)
    assert (sales["transfers"], sales["callbacks"]) == (1, 1)
    summary = report.summary
    assert (summary["offered"], summary["answered"], summary["abandoned"]) == (9, 8, 1)
    assert summary["service_level_pct"] == 66.7  # 6 of 9

    only = await _report(store, "services", Query(WEEK.start, WEEK.end, "sales"))
    assert [r["service"] for r in only.rows] == ["sales"] and only.rows[0] == sales
    before = await _report(store, "services", Query(T0 - timedelta(days=7), T0))
    assert before.rows == [] and before.summary["offered"] == 0


async def test_agents_and_ranking(store: CustomerStore, seeded: Seeded) -> None:
    report = await _report(store, "agents")
    rows = _by(report, "name")
    assert set(rows) == {"Ann", "Boris"}
    assert {k: rows["Ann"][k] for k in report.columns[2:]} == {
        "handled": 4,
        "talk_s": 400.0,
        "wrap_up_s": 80.0,
        "handle_s": 480.0,
        "aht_s": 120.0,
        "occupancy_pct": 13.3,  # 480 s busy of 3600 s signed in and not "not ready"
        "missed": 0,
        "signed_in_s": 3600.0,
    }
    boris = rows["Boris"]
    assert (boris["handled"], boris["handle_s"], boris["aht_s"], boris["missed"]) == (
        4,
        280.0,
        70.0,
        1,
    )
    assert boris["occupancy_pct"] == 7.8  # 280 of 3598 (2 s not ready after the miss)
    assert [r["name"] for r in report.sorted_by("aht_s", descending=False).rows] == [
        "Boris",
        "Ann",
    ]
    assert [r["name"] for r in report.sorted_by("missed", descending=True).rows] == [
        "Boris",
        "Ann",
    ]
    sales = await _report(store, "agents", Query(WEEK.start, WEEK.end, "sales"))
    assert _by(sales, "name")["Ann"]["handled"] == 0 and _by(sales, "name")["Boris"]["handled"] == 4


async def test_ivr_containment_exits_and_speech(store: CustomerStore, seeded: Seeded) -> None:
    report = await _report(store, "ivr")
    rows = _by(report, "scenario")
    assert rows["telecom"] == {
        "scenario": "telecom",
        "journeys": 6,
        "completed": 2,
        "transferred": 1,
        "abandoned": 2,
        "failed": 0,
        "in_progress": 1,
        "containment_pct": 40.0,
        "menu_visits": 5,
        "avg_menu_s": 3.5,  # 3.0, 5.0, 2.5
        "speech_share_pct": 33.3,  # 1 of 3 choices
        "speech_confidence": 0.6,  # 0.4 and 0.8
    }
    assert rows["bank_card"]["containment_pct"] == 0.0
    assert rows["bank_card"]["avg_menu_s"] is None
    assert report.summary["containment_pct"] == 33.3  # 2 of 6 finished

    exits = await _report(store, "ivr-exits")
    assert [(r["scenario"], r["node"], r["abandoned"], r["share_pct"]) for r in exits.rows] == [
        ("bank_card", "pin", 1, 100.0),
        ("telecom", "account", 1, 50.0),
        ("telecom", "main", 1, 50.0),
    ]


async def test_personalisation_effect(store: CustomerStore, seeded: Seeded) -> None:
    report = await _report(store, "personalisation")
    assert report.rows == [
        {
            "scenario": "telecom",
            "menu": "main",
            "visits": 5,
            "choices": 3,
            "personalised": 2,
            "promoted_chosen": 1,
            "promoted_chosen_pct": 50.0,
            "positions_saved": 0.5,  # +2 and -1
            "est_saved_s": 1.2,  # 0.5 x 2.5 s
            "avg_menu_s_personalised": 2.8,  # 3.0 and 2.5
            "avg_menu_s_static": 5.0,
        }
    ]
    assert report.summary["seconds_per_option"] == 2.5


async def test_channels(store: CustomerStore, seeded: Seeded) -> None:
    report = await _report(store, "channels")
    assert [
        (r["channel"], r["inbound"], r["outbound"], r["share_pct"], r["matters_started"])
        + (r["switched_away"],)
        for r in report.rows
    ] == [
        ("voice", 4, 0, 50.0, 3, 1),
        ("chat", 2, 0, 25.0, 1, 0),
        ("email", 1, 1, 12.5, 0, 0),
        ("sms", 1, 0, 12.5, 1, 0),
    ]
    summary = report.summary
    assert (summary["inbound"], summary["matters"], summary["switched_matters"]) == (8, 5, 1)
    assert (summary["switch_rate_pct"], summary["repeat_rate_pct"]) == (20.0, 37.5)
    assert summary["ivr_switches"] == {"sms_link": 1}


async def test_upsell(store: CustomerStore, seeded: Seeded) -> None:
    report = await _report(store, "upsell")
    ids = seeded.customers
    assert [
        (r["customer_id"], r["name"], r["contacts"], r["out_of_hours"], r["over_items"])
        + (r["max_over_pct"], r["signals"])
        for r in report.rows
    ] == [
        (ids["ann"], "Ann Test", 4, 1, ["data_gb 14/10"], 40.0, ["out_of_hours", "over_usage"]),
        (ids["bob"], "Bob Test", 3, 1, [], None, ["out_of_hours"]),
        (ids["cid"], "Cid Test", 1, 1, [], None, ["out_of_hours"]),
        (ids["dan"], "Dan Test", 0, 0, ["data_gb 25/20"], 25.0, ["over_usage"]),
    ]
