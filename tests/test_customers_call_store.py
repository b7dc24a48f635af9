"""The IVR's two store calls: the caller snapshot read at call start and the one transaction
that closes a call (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from customers.records import SYSTEM
from customers.store import CustomerStore

T0 = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)
PHONE = "+14155550123"


async def test_snapshot_gathers_customer_history_profile_and_latest_journey(
    store: CustomerStore,
) -> None:
    ann = await store.create_customer("Ann", vip=True, identities=[("phone", PHONE)])
    await store.add_identity(ann.id, "email", "ann@example.com")
    for days, channel, intent in ((1, "chat", "billing"), (5, "email", None), (9, "sms", "tv")):
        await store.record_interaction(
            ann.id, channel, "in", occurred_at=T0 - timedelta(days=days), intent=intent
        )
    await store.save_profile_data(ann.id, "account_number", "12344321", "web")
    older = await store.start_journey("c1", "telecom", customer_id=ann.id, started_at=T0)
    newer = await store.start_journey("c2", "telecom", customer_id=ann.id, started_at=T0)
    await store.start_journey("c3", "bank", customer_id=ann.id, started_at=T0 + timedelta(1))

    snap = await store.caller_snapshot("phone", "(415) 555-0123", scenario="telecom")

    assert snap is not None and snap.customer.id == ann.id and snap.customer.vip
    assert [(i.kind, i.value) for i in snap.customer.identities] == [
        ("phone", PHONE),
        ("email", "ann@example.com"),
    ]
    assert [(h.intent, h.channel) for h in snap.history] == [("billing", "chat"), ("tv", "sms")]
    assert snap.profile["account_number"].value == "12344321"
    assert snap.latest_journey is not None and snap.latest_journey.id == newer != older
    limited = await store.caller_snapshot("phone", PHONE, history_limit=1)
    assert limited is not None and [h.intent for h in limited.history] == ["billing"]
    assert limited.latest_journey is not None and limited.latest_journey.scenario == "bank"
    assert await store.caller_snapshot("phone", "+14155550999") is None


async def test_snapshot_follows_a_merge_to_the_survivor(store: CustomerStore) -> None:
    old = await store.create_customer("Old profile", identities=[("phone", PHONE)])
    survivor = await store.create_customer("Ann", identities=[("email", "ann@example.com")])
    await store.record_interaction(survivor.id, "chat", "in", occurred_at=T0, intent="billing")
    await store.merge_customers(survivor.id, old.id, actor=SYSTEM)

    snap = await store.caller_snapshot("phone", PHONE)

    assert snap is not None and snap.customer.id == survivor.id
    assert [h.intent for h in snap.history] == ["billing"]


async def test_finishing_a_first_call_creates_the_caller_and_writes_everything_once(
    store: CustomerStore,
) -> None:
    journey = await store.start_journey("c1", "telecom", caller=PHONE, started_at=T0)
    fields = {"status": "transferred", "stopped_at": "billing_queue", "ended_at": T0}
    interaction = {"direction": "in", "intent": "billing", "idempotency_key": "ivr:c1"}

    first = await store.finish_journey(
        store.journey_end(
            journey,
            fields,
            phone=PHONE,
            language="ru",
            profile={"account_number": "12344321"},
            interaction=interaction,
        )
    )
    again = await store.finish_journey(
        store.journey_end(journey, fields, phone=PHONE, interaction=interaction)
    )

    customer = await store.find_by_identity("phone", PHONE)
    assert customer is not None and first == again == customer.id
    assert (customer.segment, customer.language) == ("new", "ru")
    stored = await store.get_journey(journey)
    assert stored is not None and (stored.status, stored.customer_id) == ("transferred", first)
    assert (await store.profile_data(first))["account_number"].channel == "voice"
    items = (await store.timeline(first)).items
    assert [(i.channel, i.intent, i.journey_id) for i in items] == [("voice", "billing", journey)]


async def test_two_first_calls_from_one_number_end_with_one_customer(store: CustomerStore) -> None:
    journeys = [
        await store.start_journey(f"c{i}", "telecom", caller=PHONE, started_at=T0) for i in (1, 2)
    ]
    owners = await asyncio.gather(
        *(
            store.finish_journey(
                store.journey_end(
                    j,
                    {"status": "abandoned"},
                    phone=PHONE,
                    interaction={"direction": "in", "idempotency_key": f"ivr:{j}"},
                )
            )
            for j in journeys
        )
    )
    assert owners[0] == owners[1] is not None
    assert len((await store.timeline(owners[0])).items) == 2
