"""Storing what a call did: the journey, the voice interaction, the data the caller gave."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from customers.exceptions import CustomerStoreError
from customers.store import CustomerStore
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


async def save_call(store: CustomerStore, record: CallRecord, log: logging.Logger) -> int | None:
    """Close the journey, record the interaction and keep what the caller typed, in one
    transaction; a first-time caller with a number gets a customer to build on.

    Returns the customer id. Store failures are logged, never raised: the call is over and
    the caller must not notice.
    """
    journey = record.journey
    status = "failed" if record.failed else journey.status
    outcome = OUTCOMES[status]
    where = journey.service or journey.stopped_at or record.scenario.entry
    typed = {
        name: item.value
        for name in record.scenario.fields
        if (item := journey.collected.get(name)) is not None and item.source == "voice"
    }
    try:
        return await store.finish_journey(
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
        )
    except CustomerStoreError:
        log.exception("call %s: could not store the journey's outcome", record.call_id)
        return None
