"""The call writer: finished calls stored after their last command, in order, in batches,
none lost at close, a failed write logged without stopping it (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from customers.store import CustomerStore
from ivr.call.outcome import CallRecord, save_calls
from ivr.call.writer import CallWriter
from ivr.scenario import Journey, Scenario, ScenarioSet
from ivr.scenario.journey import Status

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)
LOG = logging.getLogger("test.writer")


@pytest.fixture(scope="module")
def telecom() -> Scenario:
    scenarios, problems = ScenarioSet.load_dir(ROOT / "scenarios")
    assert problems == []
    scenario = scenarios.get("telecom")
    assert scenario is not None
    return scenario


async def a_call(
    store: CustomerStore,
    scenario: Scenario,
    call_id: str,
    phone: str,
    status: Status = "abandoned",
) -> CallRecord:
    """A call whose journey was started (its caller made), ended with ``status``."""
    journey_id, owner = await store.start_call_journey(
        call_id, scenario.name, caller=phone, language="en", started_at=T0
    )
    journey = Journey(scenario.name, scenario.version or "", "en", status=status)
    journey.stopped_at = "main_menu"
    return CallRecord(
        call_id=call_id,
        journey_id=journey_id,
        scenario=scenario,
        journey=journey,
        started_at=T0,
        ended_at=T0 + timedelta(minutes=1),
        phone=phone,
        customer_id=owner,
    )


def writer_for(store: CustomerStore, **kwargs: int) -> CallWriter:
    return CallWriter(lambda records: save_calls(store, records, LOG), logger=LOG, **kwargs)


async def test_close_stores_every_call_still_queued(
    store: CustomerStore, telecom: Scenario
) -> None:
    records = [await a_call(store, telecom, f"c{i}", f"+1415555{i:04d}") for i in range(12)]
    writer = writer_for(store, batch=5)
    stored = [await writer.submit(record) for record in records]

    await writer.aclose()

    assert [f.result() for f in stored] == [r.customer_id for r in records]
    for record in records:
        journey = await store.get_journey(record.call_id)
        assert journey is not None and journey.status == "abandoned", record.call_id
        assert journey.ended_at is not None
        assert record.customer_id is not None
        page = await store.timeline(record.customer_id)
        assert [(i.channel, i.outcome) for i in page.items] == [("voice", "abandoned")]
    late = await a_call(store, telecom, "late", "+14155559999")
    done = await writer.submit(late)  # after close: stored by the caller's own task
    assert done.done() and done.result() == late.customer_id


async def test_a_failing_write_is_logged_and_the_writer_goes_on(
    store: CustomerStore, telecom: Scenario, caplog: pytest.LogCaptureFixture
) -> None:
    calls = 0

    async def flaky(records: Sequence[CallRecord]) -> list[int | None]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database on fire")
        return await save_calls(store, records, LOG)

    writer = CallWriter(flaky, logger=LOG)
    first = await a_call(store, telecom, "lost", "+14155550001")
    second = await a_call(store, telecom, "kept", "+14155550002")
    with caplog.at_level(logging.ERROR, logger="test.writer"):
        assert await (await writer.submit(first)) is None
        assert await (await writer.submit(second)) == second.customer_id
    await writer.aclose()
    assert any("storing calls lost failed" in r.getMessage() for r in caplog.records)
    kept = await store.get_journey("kept")
    assert kept is not None and kept.status == "abandoned"


async def test_one_bad_record_in_a_batch_costs_only_itself(
    store: CustomerStore, telecom: Scenario, caplog: pytest.LogCaptureFixture
) -> None:
    good = await a_call(store, telecom, "good", "+14155550003")
    bad = CallRecord(**{**_fields(good), "call_id": "bad", "journey_id": 999_999})
    writer = writer_for(store)
    with caplog.at_level(logging.ERROR, logger="test.writer"):
        futures = [await writer.submit(r) for r in (bad, good)]  # one batch: queued together
        await writer.aclose()
    assert [f.result() for f in futures] == [None, good.customer_id]
    assert any("call bad" in r.getMessage() for r in caplog.records)
    stored = await store.get_journey("good")
    assert stored is not None and stored.status == "abandoned"


async def test_records_of_one_journey_are_stored_in_the_order_given(
    store: CustomerStore, telecom: Scenario
) -> None:
    first = await a_call(store, telecom, "twice", "+14155550004", status="abandoned")
    then = CallRecord(**{**_fields(first), "journey": _ended(first.journey, "transferred")})
    seen: list[str] = []

    async def save(records: Sequence[CallRecord]) -> list[int | None]:
        seen.extend(r.journey.status for r in records)
        await asyncio.sleep(0)  # let the next submit queue meanwhile
        return await save_calls(store, records, LOG)

    for batch in (1, 16):  # one write each, or both in one transaction
        seen.clear()
        writer = CallWriter(save, batch=batch, logger=LOG)
        await writer.submit(first)
        await writer.submit(then)
        await writer.aclose()

        assert seen == ["abandoned", "transferred"]
        journey = await store.get_journey("twice")
        assert journey is not None and journey.status == "transferred"
        assert journey.service == "billing"


def _fields(record: CallRecord) -> dict[str, object]:
    return {name: getattr(record, name) for name in CallRecord.__slots__}


def _ended(journey: Journey, status: Status) -> Journey:
    again = Journey(journey.scenario, journey.version, journey.language, status=status)
    again.service = "billing"
    return again
