"""Interactions: timeline paging across channels, idempotency, intent history and counts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from customers.exceptions import InvalidCursor, InvalidValue, NotFound
from customers.records import CustomerRecord, HistoryRow, IntentCount
from customers.store import CustomerStore

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def ann(store: CustomerStore) -> CustomerRecord:
    return await store.create_customer("Ann", identities=[("phone", "+12025550143")])


async def test_record_round_trips_every_field(store: CustomerStore, ann: CustomerRecord) -> None:
    journey = await store.start_journey("1700000000.1", "main", customer_id=ann.id)
    agent = await store.create_agent("bob", "Bob", "PJSIP/1001")
    moscow = timezone(timedelta(hours=3))
    saved = await store.record_interaction(
        ann.id,
        "voice",
        "in",
        occurred_at=datetime(2024, 3, 1, 15, 0, 0, 250, tzinfo=moscow),
        intent="billing",
        topic="invoice 42",
        summary="asked about a charge",
        outcome="transferred",
        open=True,
        agent_id=agent.id,
        journey_id=journey,
        data={"account_number": "77", "amount": 12.5},
        idempotency_key="call-1700000000.1",
    )
    assert saved.occurred_at == datetime(2024, 3, 1, 12, 0, 0, 250, tzinfo=UTC)
    assert saved.occurred_at.tzinfo is UTC
    page = await store.timeline(ann.id)
    assert page.items == (saved,) and page.next_cursor is None
    assert page.items[0].data == {"account_number": "77", "amount": 12.5}
    assert (page.items[0].agent_id, page.items[0].journey_id) == (agent.id, journey)


async def test_timeline_pages_newest_first_across_channels_with_ties(
    store: CustomerStore, ann: CustomerRecord
) -> None:
    other = await store.create_customer("Other")
    channels = ["voice", "email", "chat", "sms", "messenger", "social", "web", "outbound"]
    expected = []
    for n in range(23):
        when = T0 + timedelta(minutes=n // 3)  # three interactions share each instant
        record = await store.record_interaction(
            ann.id, channels[n % len(channels)], "out" if n % 5 == 0 else "in", occurred_at=when
        )
        expected.append(record)
        await store.record_interaction(other.id, "voice", "in", occurred_at=when)
    expected.sort(key=lambda r: (r.occurred_at, r.id), reverse=True)

    seen, cursor, pages = [], None, 0
    while True:
        page = await store.timeline(ann.id, limit=5, before=cursor)
        pages += 1
        seen.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == 5
    assert [r.id for r in seen] == [r.id for r in expected]
    assert {r.channel for r in seen} == set(channels)
    assert all(r.customer_id == ann.id for r in seen)

    exact = await store.timeline(ann.id, limit=23)
    assert len(exact.items) == 23 and exact.next_cursor is None


async def test_timeline_rejects_bad_arguments(store: CustomerStore, ann: CustomerRecord) -> None:
    with pytest.raises(InvalidCursor, match="before"):
        await store.timeline(ann.id, before="garbage")
    with pytest.raises(InvalidValue, match="^limit:"):
        await store.timeline(ann.id, limit=0)
    assert (await store.timeline(ann.id + 99)).items == ()


async def test_idempotency_key_returns_the_first_record(
    store: CustomerStore, ann: CustomerRecord
) -> None:
    first = await store.record_interaction(
        ann.id, "email", "in", occurred_at=T0, intent="refund", idempotency_key="msg-<a@b>"
    )
    again = await store.record_interaction(
        ann.id, "email", "in", occurred_at=T0 + timedelta(hours=1), idempotency_key="msg-<a@b>"
    )
    assert again == first
    assert len((await store.timeline(ann.id)).items) == 1


async def test_concurrent_duplicates_store_one_row(
    store: CustomerStore, ann: CustomerRecord
) -> None:
    results = await asyncio.gather(
        *(
            store.record_interaction(ann.id, "chat", "in", occurred_at=T0, idempotency_key="dup")
            for _ in range(8)
        )
    )
    assert len({r.id for r in results}) == 1
    assert len((await store.timeline(ann.id)).items) == 1


async def test_record_validation_names_the_field(store: CustomerStore, ann: CustomerRecord) -> None:
    cases = [
        ({"channel": "fax"}, "^channel: 'fax' is not one of voice"),
        ({"direction": "sideways"}, "^direction:"),
        ({"occurred_at": datetime(2024, 1, 1)}, "^occurred_at: .*timezone-aware"),
        ({"outcome": "meh"}, "^outcome:"),
        ({"open": 1}, "^open:"),
        ({"data": {"x": object()}}, "^data: .*JSON"),
    ]
    for overrides, message in cases:
        args = {"channel": "voice", "direction": "in"} | overrides
        with pytest.raises(InvalidValue, match=message):
            await store.record_interaction(ann.id, **args)
    with pytest.raises(NotFound, match="customer"):
        await store.record_interaction(ann.id + 1, "voice", "in")
    with pytest.raises(NotFound, match="agent 55"):
        await store.record_interaction(ann.id, "voice", "in", agent_id=55)
    with pytest.raises(NotFound, match="journey 66"):
        await store.record_interaction(ann.id, "voice", "in", journey_id=66)
    assert (await store.timeline(ann.id)).items == ()


async def test_intent_history_and_counts(store: CustomerStore, ann: CustomerRecord) -> None:
    rows = [
        ("voice", "in", "billing", 0, False),
        ("email", "in", "billing", 1, True),
        ("outbound", "out", "renewal", 2, False),
        ("chat", "in", None, 3, False),
        ("web", "in", "tracking", 4, False),
        ("sms", "out", "tracking", 4, False),
    ]
    for channel, direction, intent, day, is_open in rows:
        await store.record_interaction(
            ann.id,
            channel,
            direction,
            occurred_at=T0 + timedelta(days=day),
            intent=intent,
            open=is_open,
        )
    history = await store.intent_history(ann.id)
    assert history == [
        HistoryRow("tracking", "sms", "out", T0 + timedelta(days=4), False),
        HistoryRow("tracking", "web", "in", T0 + timedelta(days=4), False),
        HistoryRow("renewal", "outbound", "out", T0 + timedelta(days=2), False),
        HistoryRow("billing", "email", "in", T0 + timedelta(days=1), True),
        HistoryRow("billing", "voice", "in", T0, False),
    ]
    assert await store.intent_history(ann.id, limit=2) == history[:2]
    assert await store.intent_history(ann.id, since=T0 + timedelta(days=1)) == history[:4]

    assert await store.intent_counts(ann.id) == [
        IntentCount("tracking", 2, T0 + timedelta(days=4)),
        IntentCount("billing", 2, T0 + timedelta(days=1)),
        IntentCount("renewal", 1, T0 + timedelta(days=2)),
    ]
    assert await store.intent_counts(ann.id, since=T0 + timedelta(days=1, hours=1)) == [
        IntentCount("tracking", 2, T0 + timedelta(days=4)),
        IntentCount("renewal", 1, T0 + timedelta(days=2)),
    ]
    assert await store.intent_counts(ann.id + 1) == []
    with pytest.raises(InvalidValue, match="^since:"):
        await store.intent_counts(ann.id, since=datetime(2024, 1, 1))
