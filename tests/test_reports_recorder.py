"""The recorder fed the router's and the IVR's events for a few contacts, as they arrive on the
bus, stores what the reports read: contact rows and agent state intervals (SQLite and PG)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from customers.store import CustomerStore
from omnivox.reports import recorder

T0 = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float) -> None:
        self.now = T0 + timedelta(seconds=seconds)


def contact(cid: str, phase: str, agent_id: str | None = None, **extra: Any) -> dict[str, Any]:
    """A contact event's payload as the router publishes it (``view_dict``)."""
    return {
        "id": cid,
        "service": "billing",
        "priority": 0,
        "vip": False,
        "intent": "billing",
        "customer_id": "41",
        "caller": "+14155550100",
        "phase": phase,
        "agent_id": agent_id,
        "wait_s": 3.0,
        "missed_by": [],
        "journey_id": 501,
        "media": "voice",
        "channel": f"PJSIP/trunk-{cid}",
    } | extra


def agent(aid: str, state: str, reason: str | None = None) -> dict[str, Any]:
    return {"id": aid, "login": f"a{aid}", "state": state, "reason": reason, "in_state_s": 0.0}


def transfer(cid: str, service: str = "billing") -> dict[str, Any]:
    """``ivr.transfer`` as the IVR publishes it."""
    return {
        "call_id": cid,
        "channel": f"PJSIP/trunk-{cid}",
        "caller": "+14155550100",
        "journey_id": 501,
        "customer_id": 41,
        "vip": False,
        "segment": "regular",
        "scenario": "telecom",
        "service": service,
        "skills": [service],
        "priority": 5,
        "intent": "billing",
        "language": "en",
    }


async def test_a_day_of_events_becomes_contact_rows_and_state_intervals(
    store: CustomerStore,
) -> None:
    clock = Clock()
    listen = recorder(store, clock)
    events: list[tuple[float, str, dict[str, Any]]] = [
        (-60, "routing.agent", agent("7", "ready")),
        (-30, "routing.agent", agent("8", "ready")),
        (0, "ivr.transfer", transfer("c1")),
        (1, "routing.queued", contact("c1", "waiting")),
        (10, "routing.offered", contact("c1", "offered", "7", agent="7", why={})),
        (25, "routing.missed", contact("c1", "waiting", missed="7")),
        (25, "routing.agent", agent("7", "not_ready", "missed")),  # the same change, announced
        (26, "routing.offered", contact("c1", "offered", "8", agent="8")),
        (30, "routing.answered", contact("c1", "talking", "8")),
        (40, "routing.queued", contact("c2", "waiting", media="chat", service="sales")),
        (55, "routing.abandoned", contact("c2", "waiting", service="sales")),
        (60, "ivr.channel_switch", transfer("c3") | {"kind": "callback", "service": None}),
        (150, "routing.ended", contact("c1", "talking", "8")),
        (150, "routing.agent", agent("8", "wrap_up")),
        (165, "routing.agent", agent("8", "ready")),
        (170, "routing.missed", contact("c1", "waiting", missed="8")),  # late: ignored
        (200, "routing.queued", contact("c4", "waiting")),
        (230, "routing.queued", contact("c4", "waiting", service="retention")),
        (235, "ivr.unrelated", {"call_id": "c9"}),
        (236, "desktop.pop", {"id": "c9"}),
    ]
    for offset, topic, payload in events:
        clock.at(offset)
        await listen(topic, payload)

    rows = {r.contact_id: r for r in await store.report_contacts(T0, T0 + timedelta(hours=1))}
    assert sorted(rows) == ["c1", "c2", "c3", "c4"]
    c1 = rows["c1"]
    assert (c1.service, c1.media, c1.customer_id, c1.journey_id, c1.agent_id) == (
        "billing",
        "voice",
        41,
        501,
        "8",
    )
    assert c1.entered_at == c1.queued_at == T0
    assert c1.offered_at == T0 + timedelta(seconds=10)  # the first offer
    assert c1.answered_at == T0 + timedelta(seconds=30)
    assert c1.ended_at == T0 + timedelta(seconds=150)
    assert c1.abandoned_at is None
    assert (c1.offers, c1.missed, c1.transfers, c1.callback) == (2, 1, 0, False)
    assert c1.wrap_up_ms == 15_000 and c1.wrap_up_s == 15.0
    c2 = rows["c2"]
    assert (c2.service, c2.media, c2.offers, c2.answered_at) == ("sales", "chat", 0, None)
    assert c2.abandoned_at == c2.ended_at == T0 + timedelta(seconds=55)
    assert c2.queued_at == T0 + timedelta(seconds=40)
    c3 = rows["c3"]
    assert (c3.switched_to, c3.callback, c3.service, c3.queued_at) == ("callback", True, None, None)
    c4 = rows["c4"]
    assert (c4.first_service, c4.service, c4.transfers) == ("billing", "retention", 1)

    states = [
        (s.agent_id, s.state, s.reason, (s.since - T0).total_seconds(), s.until)
        for s in await store.report_agent_states(T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    ]
    at = lambda seconds: T0 + timedelta(seconds=seconds)  # noqa: E731
    assert states == [
        ("7", "ready", None, -60, at(10)),
        ("8", "ready", None, -30, at(26)),
        ("7", "reserved", None, 10, at(25)),
        ("7", "not_ready", "missed", 25, None),
        ("8", "reserved", None, 26, at(30)),
        ("8", "on_call", None, 30, at(150)),
        ("8", "wrap_up", None, 150, at(165)),
        ("8", "ready", None, 165, None),
    ]


async def test_a_period_reads_only_what_overlaps_it(store: CustomerStore) -> None:
    clock = Clock()
    listen = recorder(store, clock)
    for offset, state in ((0, "ready"), (3600, "not_ready"), (7200, "offline")):
        clock.at(offset)
        await listen("routing.agent", agent("5", state, "lunch" if state == "not_ready" else None))
    clock.at(10)
    await listen("routing.queued", contact("early", "waiting"))
    clock.at(5000)
    await listen("routing.queued", contact("late", "waiting"))

    start, end = T0 + timedelta(seconds=3000), T0 + timedelta(seconds=4000)
    assert [s.state for s in await store.report_agent_states(start, end)] == ["ready", "not_ready"]
    assert [c.contact_id for c in await store.report_contacts(T0, start)] == ["early"]
    assert [c.contact_id for c in await store.report_contacts(start, T0 + timedelta(hours=2))] == [
        "late"
    ]
    assert await store.report_contacts(T0, start, service="sales") == []
