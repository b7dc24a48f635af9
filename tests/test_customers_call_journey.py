"""A call's journey opened with its caller (made on a first call) and calls closed in one
batch, each failure costing only its own call (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from customers.exceptions import JourneyConflict, NotFound
from customers.store import CustomerStore

T0 = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)
PHONE = "+14155550123"


async def test_a_first_call_opens_its_journey_with_a_new_customer(store: CustomerStore) -> None:
    journey_id, owner = await store.start_call_journey(
        "c1", "telecom", caller="(415) 555-0123", language="ru", started_at=T0
    )

    customer = await store.find_by_identity("phone", PHONE)
    assert customer is not None and owner == customer.id
    assert (customer.segment, customer.language) == ("new", "ru")
    journey = await store.get_journey(journey_id)
    assert journey is not None and journey.customer_id == owner
    assert (journey.status, journey.caller) == ("in_progress", "(415) 555-0123")
    again, same = await store.start_call_journey("c2", "telecom", caller=PHONE, started_at=T0)
    assert same == owner and again != journey_id
    with pytest.raises(JourneyConflict):
        await store.start_call_journey("c1", "telecom", caller=PHONE, started_at=T0)


async def test_a_known_or_anonymous_caller_gets_no_new_customer(store: CustomerStore) -> None:
    ann = await store.create_customer("Ann", identities=[("phone", PHONE)])
    _, owner = await store.start_call_journey("c1", "telecom", customer_id=ann.id, caller=PHONE)
    anonymous, nobody = await store.start_call_journey("c2", "telecom")
    assert (owner, nobody) == (ann.id, None)
    journey = await store.get_journey(anonymous)
    assert journey is not None and journey.customer_id is None


async def test_two_first_calls_at_once_from_one_number_share_one_customer(
    store: CustomerStore,
) -> None:
    opened = await asyncio.gather(
        *(store.start_call_journey(f"c{i}", "telecom", caller=PHONE) for i in (1, 2))
    )
    assert opened[0][1] == opened[1][1] is not None
    assert opened[0][0] != opened[1][0]


async def test_a_batch_of_finished_calls_is_written_and_a_bad_one_costs_only_itself(
    store: CustomerStore,
) -> None:
    opened = [await store.start_call_journey(f"c{i}", "telecom", caller=PHONE) for i in (1, 2)]
    ends = [
        store.journey_end(
            journey_id,
            {"status": "completed", "ended_at": T0},
            customer_id=owner,
            interaction={"direction": "in", "idempotency_key": f"ivr:c{journey_id}"},
            customer_language="en" if i == 0 else None,
        )
        for i, (journey_id, owner) in enumerate(opened)
    ]
    missing = store.journey_end(999_999, {"status": "completed"}, customer_id=opened[0][1])

    results = await store.finish_journeys([ends[0], missing, ends[1]])

    owner = opened[0][1]
    assert results[0] == results[2] == owner
    assert isinstance(results[1], NotFound)
    for journey_id, _ in opened:
        journey = await store.get_journey(journey_id)
        assert journey is not None and journey.status == "completed"
    assert owner is not None and len((await store.timeline(owner)).items) == 2
    customer = await store.get_customer(owner)
    assert customer is not None and customer.language == "en"  # the call changed it
