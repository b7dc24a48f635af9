"""Storing what a call did: the journey, the voice interaction, the data the caller gave."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from customers.exceptions import CustomerStoreError
from customers.store import CustomerStore
from customers.store.journeys_finish import JourneyEnd
from ivr.scenario import Journey, Scenario

OUTCOMES = {
    "completed": "resolved",
    "transferred": "transferred",
    "abandoned": "abandoned",
    "failed": "failed",
    "in_progress": "unresolved",
}


@dataclass(frozen=True, slots=True)
class CallRecord:
    """The facts of one finished call that the store keeps."""

    call_id: str
    journey_id: int
    scenario: Scenario
    journey: Journey
    started_at: datetime
    ended_at: datetime
    phone: str | None
    customer_id: int | None
    failed: bool = False  # the adapter failed (not the caller, not the scenario)
    created_customer: str | None = None  # the customer was made at the start, in this language


def call_end(store: CustomerStore, record: CallRecord) -> JourneyEnd:
    """What the store keeps of ``record``: the journey closed, the interaction and what the
    caller typed; a first-time caller with a number gets a customer to build on (made at the
    call's start when it had a number: :attr:`CallRecord.created_customer`).
    :class:`InvalidValue` if the record cannot be stored."""
    journey = record.journey
    status = "failed" if record.failed else journey.status
    outcome = OUTCOMES[status]
    where = journey.service or journey.stopped_at or record.scenario.entry
    typed = {
        name: item.value
        for name in record.scenario.fields
        if (item := journey.collected.get(name)) is not None and item.source == "voice"
    }
    created_in = record.created_customer
    return store.journey_end(
        record.journey_id,
        journey.to_record() | {"status": status, "ended_at": record.ended_at},
        customer_id=record.customer_id,
        # a caller who heard nothing (cut before the first node) leaves no profile
        phone=record.phone if journey.path else None,
        language=journey.language,
        channel="voice",
        profile=typed,
        interaction={
            "direction": "in",
            "occurred_at": record.started_at,
            "intent": journey.intent,
            "summary": f"IVR {record.scenario.name}: {status} at {where}",
            "outcome": outcome,
            "open": outcome != "resolved",
            "data": journey.data(),
            "idempotency_key": f"ivr:{record.call_id}",
        },
        customer_language=journey.language
        if created_in is not None and journey.language != created_in
        else None,
    )


async def save_calls(
    store: CustomerStore, records: Sequence[CallRecord], log: logging.Logger
) -> list[int | None]:
    """Store ``records`` (see :func:`call_end`) in one transaction, or each in its own if
    that fails. The customer id of each; store failures are logged, never raised (None):
    the calls are over and the callers must not notice."""
    results: list[int | None | CustomerStoreError] = []
    ends: list[JourneyEnd] = []
    for record in records:
        try:
            ends.append(call_end(store, record))
            results.append(None)
        except CustomerStoreError as error:
            results.append(error)
    written = iter(await store.finish_journeys(ends) if ends else [])
    saved: list[int | None] = []
    for record, result in zip(records, results, strict=True):
        outcome = result if isinstance(result, CustomerStoreError) else next(written)
        if isinstance(outcome, CustomerStoreError):
            log.error("call %s: could not store the journey's outcome: %s", record.call_id, outcome)
            outcome = None
        saved.append(outcome)
    return saved
