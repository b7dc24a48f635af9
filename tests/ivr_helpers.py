"""Shared pieces for tests that run calls through the IVR adapter."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from customers.store import CustomerStore

# Wednesday 13:00 in Moscow: inside the telecom scenario's support hours.
OPEN = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)
ACCOUNT = "12344321"


def running_clock(start: datetime = OPEN) -> Callable[[], datetime]:
    """A clock that starts at ``start`` and runs at real speed (business hours stay open)."""
    t0 = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - t0)


async def billing_heavy_customer(
    store: CustomerStore, phone: str, now: datetime, *, account: str | None = None
) -> int:
    """A customer who keeps contacting us about bills, on the phone, by email and in chat."""
    customer = await store.create_customer("Ann Biller", identities=[("phone", phone)])
    for days, channel in ((2, "voice"), (9, "email"), (20, "chat"), (35, "voice")):
        await store.record_interaction(
            customer.id, channel, "in", occurred_at=now - timedelta(days=days), intent="billing"
        )
    await store.record_interaction(
        customer.id,
        "voice",
        "in",
        occurred_at=now - timedelta(days=60),
        intent="internet_support",
    )
    if account is not None:
        await store.save_profile_data(customer.id, "account_number", account, "email")
    return customer.id
