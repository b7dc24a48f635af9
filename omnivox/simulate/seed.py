"""Putting a script's caller into the customer store before they call."""

from __future__ import annotations

import secrets
from datetime import datetime

from customers.exceptions import CustomerStoreError
from customers.store import CustomerStore
from omnivox.simulate.model import CustomerSeed


class SeedError(Exception):
    """The caller could not be set up as the script describes."""


async def fresh_number(store: CustomerStore) -> str:
    """A US number (+1 415 NXX XXXX) no customer in the store has: a first-time caller on
    every run, even against a database that keeps earlier runs."""
    for _ in range(100):
        number = f"+1415{secrets.randbelow(800) + 200:03d}{secrets.randbelow(10000):04d}"
        if await store.find_by_identity("phone", number) is None:
            return number
    raise SeedError("no unused phone number found in 100 tries")


async def seed_caller(
    store: CustomerStore, number: str, customer: CustomerSeed | None, now: datetime
) -> int | None:
    """Create the customer calling from ``number`` with their history aged from ``now``;
    returns their id (None for a caller the store must not know)."""
    try:
        existing = await store.find_by_identity("phone", number)
        if existing is not None:
            raise SeedError(
                f"caller {number} already belongs to customer {existing.id} in the store: "
                "leave out 'caller' (a fresh number every run) or use a clean database"
            )
        if customer is None:
            return None
        record = await store.create_customer(
            customer.name,
            segment=customer.segment,
            vip=customer.vip,
            language=customer.language,
            attributes=customer.attributes,
            identities=[("phone", number), *customer.identities],
        )
        for item in customer.history:
            await store.record_interaction(
                record.id,
                item.channel,
                item.direction,
                occurred_at=now - item.age,
                intent=item.intent,
                topic=item.topic,
                outcome=item.outcome,
                open=item.open,
            )
        for field, (value, channel) in customer.data.items():
            await store.save_profile_data(record.id, field, value, channel)
    except CustomerStoreError as exc:
        raise SeedError(f"setting up caller {number}: {exc}") from None
    return record.id
