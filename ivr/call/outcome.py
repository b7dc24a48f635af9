"""Storing what a call did: the journey, the voice interaction, the data the caller gave."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from customers.exceptions import CustomerStoreError, IdentityConflict
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


async def customer_for(store: CustomerStore, phone: str, language: str | None) -> int:
    """The customer owning ``phone``, created on their first call (a profile to build on)."""
    found = await store.find_by_identity("phone", phone)
    if found is not None:
        return found.id
    try:
        created = await store.create_customer(
            None, segment="new", language=language, identities=[("phone", phone)]
        )
    except IdentityConflict as exc:  # a concurrent call from the same number created it
        return exc.owner_id
    return created.id


async def save_call(store: CustomerStore, record: CallRecord, log: logging.Logger) -> int | None:
    """Close the journey, record the interaction and keep what the caller typed.

    Returns the customer id. Store failures are logged, never raised: the call is over and
    the caller must not notice; what could be written is written.
    """
    journey = record.journey
    status = "failed" if record.failed else journey.status
    try:
        customer_id = record.customer_id
        if customer_id is None and record.phone and journey.path:
            customer_id = await customer_for(store, record.phone, journey.language)
        fields = journey.to_record() | {"status": status, "ended_at": record.ended_at}
        if customer_id is not None:
            fields["customer_id"] = customer_id
        await store.update_journey(record.journey_id, **fields)
        if customer_id is None:
            return None
        for name in record.scenario.fields:
            item = journey.collected.get(name)
            if item is not None and item.source == "voice":
                await store.save_profile_data(customer_id, name, item.value, "voice")
        outcome = OUTCOMES[status]
        where = journey.service or journey.stopped_at or record.scenario.entry
        await store.record_interaction(
            customer_id,
            "voice",
            "in",
            occurred_at=record.started_at,
            intent=journey.intent,
            summary=f"IVR {record.scenario.name}: {status} at {where}",
            outcome=outcome,
            open=outcome != "resolved",
            journey_id=record.journey_id,
            data=journey.data(),
            idempotency_key=f"ivr:{record.call_id}",
        )
        return customer_id
    except CustomerStoreError:
        log.exception("call %s: could not store the journey's outcome", record.call_id)
        return None
