"""The reports' SQL aggregates against their definitions on irregular data: a few hundred
random contacts, agent states, interactions and IVR journeys with millisecond times, written to
the store; the per-service, per-agent, per-channel and per-scenario figures from SQL must equal
the same figures computed in Python from the stored rows. On SQLite and on PostgreSQL."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from customers.models import Interaction, Journey
from customers.models.reporting import AgentStateRecord, ContactRecord
from customers.store import CustomerStore
from ivr.scenario.hours import Calendar
from omnivox.reports.channels import channel_figures, matters
from omnivox.reports.ivr import ivr_report, ivr_report_of
from omnivox.reports.personalisation import personalisation_report
from omnivox.reports.upsell import DEFAULT_HOURS, upsell_report, upsell_report_of

DAY = datetime(2026, 3, 9, tzinfo=UTC)
TARGETS = {"billing": 20.0, "sales": 30.5}  # "tv" gets the default
DEFAULT_S = 15.0


def _ms(start: datetime | None, end: datetime | None) -> int:
    if start is None or end is None:
        return 0
    return max(0, round((end - start).total_seconds() * 1000))


def random_contacts(rng: random.Random, count: int) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        entered = DAY + timedelta(milliseconds=rng.randrange(0, 86_400_000))
        queued = entered + timedelta(milliseconds=rng.randrange(0, 5000))
        wait = timedelta(milliseconds=rng.choice([rng.randrange(0, 60_000), 20_000, 30_500]))
        fate = rng.choice(["answered", "answered", "ended", "abandoned", "waiting"])
        answered = queued + wait if fate in ("answered", "ended") else None
        ended = answered + timedelta(milliseconds=rng.randrange(1, 400_000)) if answered else None
        ended = ended if fate == "ended" else None
        rows.append(
            {
                "contact_id": f"c{n}",
                "service": rng.choice(["billing", "sales", "tv", None]),
                "media": "voice",
                "vip": False,
                "agent_id": rng.choice(["1", "2", "10", None]),
                "entered_at": entered,
                "queued_at": rng.choice([queued, queued, queued, None]),
                "answered_at": answered,
                "ended_at": ended,
                "abandoned_at": queued + wait if fate == "abandoned" else None,
                "offers": 1,
                "missed": 0,
                "transfers": rng.choice([0, 0, 1, 2]),
                "callback": rng.random() < 0.2,
                "wrap_up_ms": rng.choice([None, rng.randrange(0, 60_000)]) if ended else None,
            }
        )
    return rows


def random_states(rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for agent in ("1", "2", "10", "11"):
        at = DAY - timedelta(hours=1)  # the first interval starts before the period
        for _ in range(40):
            length = timedelta(milliseconds=rng.randrange(1, 3_600_000))
            state = rng.choice(["ready", "reserved", "on_call", "wrap_up", "not_ready", "offline"])
            reason = rng.choice(["missed", "lunch"]) if state == "not_ready" else None
            rows.append(
                {"agent_id": agent, "state": state, "reason": reason}
                | {"since": at, "until": at + length}
            )
            at += length
        rows[-1]["until"] = None  # still in it
    return rows


async def test_service_figures_equal_the_definitions(
    store: CustomerStore, engine: AsyncEngine
) -> None:
    rng = random.Random(8)
    async with engine.begin() as conn:
        await conn.execute(insert(ContactRecord), random_contacts(rng, 400))
    start, end = DAY + timedelta(hours=2), DAY + timedelta(hours=22)
    targets = dict(TARGETS)
    figures = await store.service_figures(start, end, targets=targets, default_target_s=DEFAULT_S)
    rows = await store.report_contacts(start, end)
    expected = []
    for name in sorted({r.service for r in rows if r.service and r.queued_at}):
        mine = [r for r in rows if r.service == name and r.queued_at is not None]
        answered = [r for r in mine if r.answered_at is not None]
        abandoned = [r for r in mine if r.abandoned_at is not None]
        finished = [r for r in answered if r.ended_at is not None]
        target_ms = round(targets.get(name, DEFAULT_S) * 1000)
        waits = [_ms(r.queued_at, r.answered_at) for r in answered]
        expected.append(
            (
                name,
                len(mine),
                len(answered),
                len(abandoned),
                sum(_ms(r.queued_at, r.abandoned_at) for r in abandoned),
                sum(1 for w in waits if w <= target_ms),
                sum(waits),
                len(finished),
                sum(_ms(r.answered_at, r.ended_at) for r in finished),
                sum(1 for r in finished if r.wrap_up_ms is not None),
                sum(r.wrap_up_ms or 0 for r in finished),
                sum(1 for r in mine if r.transfers > 0),
                sum(1 for r in mine if r.callback),
            )
        )
    got = [
        (f.service, f.offered, f.answered, f.abandoned, f.abandon_ms, f.in_target, f.wait_ms)
        + (f.finished, f.talk_ms, f.wrapped, f.wrap_up_ms, f.transfers, f.callbacks)
        for f in figures
    ]
    assert got == expected
    assert [f.service for f in figures] == ["billing", "sales", "tv"]
    assert any(w == 20_000 for w in [_ms(r.queued_at, r.answered_at) for r in rows])  # edges
    only = await store.service_figures(
        start, end, targets=targets, default_target_s=DEFAULT_S, service="sales"
    )
    assert [f.service for f in only] == ["sales"] and only[0] == figures[1]
    assert await store.report_services(start, end) == ["billing", "sales", "tv"]


async def test_agent_figures_equal_the_definitions(
    store: CustomerStore, engine: AsyncEngine
) -> None:
    rng = random.Random(9)
    async with engine.begin() as conn:
        await conn.execute(insert(ContactRecord), random_contacts(rng, 300))
        await conn.execute(insert(AgentStateRecord), random_states(rng))
    start, end = DAY + timedelta(hours=1), DAY + timedelta(hours=30)
    now = DAY + timedelta(hours=20, milliseconds=123)  # the period is not over yet
    contacts, states = await store.agent_figures(start, end, now=now)

    rows = await store.report_contacts(start, end)
    want_contacts = {}
    for agent in {r.agent_id for r in rows if r.agent_id}:
        mine = [r for r in rows if r.agent_id == agent]
        ended = [r for r in mine if r.answered_at and r.ended_at]
        want_contacts[agent] = (
            sum(1 for r in mine if r.answered_at),
            len(ended),
            sum(_ms(r.answered_at, r.ended_at) for r in ended),
            sum(r.wrap_up_ms or 0 for r in ended),
        )
    assert {c.agent_id: (c.handled, c.ended, c.talk_ms, c.wrap_up_ms) for c in contacts} == (
        want_contacts
    )

    want_states: dict[tuple[str, str], list[int]] = {}
    for r in await store.report_agent_states(start, end):
        since, until = max(r.since, start), min(r.until or now, now)
        missed = r.state == "not_ready" and r.reason == "missed" and start <= r.since < now
        sums = want_states.setdefault((r.agent_id, r.state), [0, 0])
        sums[0] += _ms(since, until)
        sums[1] += int(missed)
    assert {(s.agent_id, s.state): [s.ms, s.missed] for s in states} == want_states
    assert sum(s.missed for s in states) > 0 and len({s.agent_id for s in states}) == 4


def random_interactions(rng: random.Random, customers: list[int], count: int) -> list[Any]:
    """Contacts on a few subjects, some exactly a window apart, with and without subjects."""
    rows: list[dict[str, Any]] = []
    for _ in range(count):
        row = {
            "customer_id": rng.choice(customers),
            "channel": rng.choice(["voice", "voice", "chat", "email", "sms"]),
            "direction": rng.choice(["in", "in", "in", "out"]),
            "occurred_at": DAY + timedelta(milliseconds=rng.randrange(0, 3 * 86_400_000)),
            "intent": rng.choice(["billing", "tv", "", None, None]),
            "topic": rng.choice(["bill", "move", "", None]),
            "open": False,
            "data": {},
        }
        if rows and rng.random() < 0.4:  # the same subject again: at, or just over, a window
            gap = rng.choice([WINDOW_MS, WINDOW_MS + 1, WINDOW_MS - 1, rng.randrange(0, 3600)])
            row |= {k: rows[-1][k] for k in ("customer_id", "intent", "topic")}
            row["occurred_at"] = rows[-1]["occurred_at"] + timedelta(milliseconds=gap)
            row["direction"] = "in"
        rows.append(row | {"created_at": row["occurred_at"]})
    return rows


WINDOW_MS = 43_200_000  # half a day


async def test_channel_figures_equal_the_definitions(
    store: CustomerStore, engine: AsyncEngine
) -> None:
    rng = random.Random(10)
    customers = [(await store.create_customer(f"C{n}")).id for n in range(6)]
    async with engine.begin() as conn:
        await conn.execute(insert(Interaction), random_interactions(rng, customers, 500))
    start, end = DAY + timedelta(hours=3), DAY + timedelta(days=3)
    window = WINDOW_MS / 86_400_000
    got = await store.channel_figures(start, end, window_days=window)
    loaded = await store.report_interactions(start, end)
    assert got == channel_figures(loaded, window)
    assert [f.channel for f in got] == ["chat", "email", "sms", "voice"]
    assert sum(f.switched_away for f in got) > 0  # matters that changed channel
    grouped = matters(loaded, window)
    assert 0 < len(grouped) < sum(f.inbound for f in got)  # some matters of several contacts
    assert any(  # an exact window between two contacts of one matter was seen
        (b.occurred_at - a.occurred_at) == timedelta(milliseconds=WINDOW_MS)
        for m in grouped
        for a, b in zip(m, m[1:], strict=False)
    )
    wide = await store.channel_figures(start, end, window_days=30)
    assert wide == channel_figures(loaded, 30)


def random_path(rng: random.Random) -> list[dict[str, Any]]:
    """Menu visits (promoted or not, chosen by keys or speech, or left) and a collected answer."""
    path: list[dict[str, Any]] = []
    at = 0
    for node in rng.sample(["main", "billing_menu", "tv_menu"], rng.randrange(0, 3)):
        keys = rng.sample(["1", "2", "3", "4"], 3)
        promoted = [k for k in keys if rng.random() < 0.3]
        order = [
            {"key": k, "option": k, "intent": f"i{k}", "promoted": k in promoted} for k in keys
        ]
        entered = {"result": "entered", "order": order, "promoted": [f"i{k}" for k in promoted]}
        path.append({"node": node, "kind": "menu", "offset_ms": at, "detail": entered})
        at += rng.randrange(500, 20_000)
        if rng.random() < 0.8:
            speech = rng.random() < 0.4
            detail: dict[str, Any] = {"result": "option", "option": rng.choice(keys)}
            if speech or rng.random() < 0.1:
                detail["confidence"] = round(rng.random(), 3)
            given = f"speech:i{detail['option']}" if speech else detail["option"]
            path.append({"node": node, "kind": "menu", "offset_ms": at, "input": given})
            path[-1]["detail"] = detail
    if rng.random() < 0.3:
        path.append({"node": "account", "kind": "gather", "offset_ms": at, "input": "5555"})
        path[-1]["detail"] = {"result": "collected"}
    return path


async def test_ivr_and_personalisation_figures_equal_the_definitions(
    store: CustomerStore, engine: AsyncEngine
) -> None:
    rng = random.Random(11)
    statuses = ["completed", "transferred", "abandoned", "failed", "in_progress"]
    rows = [
        {
            "call_id": f"call-{n}",
            "scenario": rng.choice(["telecom", "bank_card", "insurance"]),
            "started_at": DAY + timedelta(milliseconds=rng.randrange(-3_600_000, 90_000_000)),
            "status": rng.choice(statuses),
            "path": random_path(rng),
            "inputs": {},
            "menus": [],
            "service": rng.choice(["billing", "tv", None]),
        }
        for n in range(300)
    ]
    async with engine.begin() as conn:
        await conn.execute(insert(Journey), rows)
    start, end = DAY, DAY + timedelta(days=1)
    for service in (None, "billing"):
        loaded = await store.report_journeys(start, end, service=service)
        counts = await store.report_journey_statuses(start, end, service=service)
        paths = await store.report_paths(start, end, service=service)
        assert sorted(counts) == sorted(
            (s, st, n) for (s, st), n in Counter((j.scenario, j.status) for j in loaded).items()
        )
        assert [(p.scenario, p.path) for p in paths] == [(j.scenario, j.path) for j in loaded]
        report = ivr_report(counts, paths)
        assert report == ivr_report_of(loaded)
        assert personalisation_report(paths) == personalisation_report(loaded)
    summary = ivr_report_of(await store.report_journeys(start, end)).summary
    assert 0 < summary["journeys"] < len(rows)  # some journeys fall outside the day
    assert summary["menu_visits"] > 0 and summary["speech_share_pct"] is not None


async def test_upsell_from_inbound_times_equals_the_definition(
    store: CustomerStore, engine: AsyncEngine
) -> None:
    rng = random.Random(12)
    customers = [(await store.create_customer(f"C{n}")).id for n in range(8)]
    async with engine.begin() as conn:
        await conn.execute(insert(Interaction), random_interactions(rng, customers, 300))
    paris = Calendar("paris", "Europe/Paris", {day: ((8 * 60, 20 * 60),) for day in range(6)})
    start, end = DAY, DAY + timedelta(days=3)
    loaded = await store.report_interactions(start, end)
    usage = [(customers[0], "data_gb_used", "14"), (customers[0], "data_gb_included", "10")]
    for hours in (DEFAULT_HOURS, paris):
        got = upsell_report(await store.report_inbound(start, end), usage, hours=hours)
        assert got == upsell_report_of(loaded, usage, hours=hours)
        assert got.summary["out_of_hours_customers"] > 0
