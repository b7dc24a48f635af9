"""Customers, identities and profile data, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from customers.db import make_sessionmaker
from customers.exceptions import IdentityConflict, InvalidIdentity, InvalidValue, NotFound
from customers.models import Customer
from customers.store import CustomerStore


async def test_create_and_find_by_any_identity(store: CustomerStore) -> None:
    created = await store.create_customer(
        "Ann Smith",
        segment="gold",
        vip=True,
        language="en-US",
        attributes={"crm_id": "C-17", "tags": ["a", "b"]},
        identities=[("phone", "(202) 555-0143"), ("email", " Ann@Example.COM"), ("chat", "v-9")],
    )
    assert [(i.kind, i.value) for i in created.identities] == [
        ("phone", "+12025550143"),
        ("email", "ann@example.com"),
        ("chat", "v-9"),
    ]
    assert created.attributes == {"crm_id": "C-17", "tags": ["a", "b"]}
    assert created.created_at.tzinfo is UTC
    for kind, value in [("phone", "1-202-555-0143"), ("email", "ANN@example.com"), ("chat", "v-9")]:
        assert await store.find_by_identity(kind, value) == created
    assert await store.get_customer(created.id) == created
    assert await store.find_by_identity("phone", "+1 202 555 0144") is None
    assert await store.find_by_identity("chat", "V-9") is None  # opaque ids keep case
    assert await store.get_customer(created.id + 1000) is None


async def test_identity_belongs_to_one_customer(store: CustomerStore) -> None:
    ann = await store.create_customer("Ann", identities=[("phone", "+12025550143")])
    with pytest.raises(IdentityConflict) as info:
        await store.create_customer("Bob", identities=[("phone", "(202) 555-0143")])
    assert info.value.owner_id == ann.id and info.value.value == "+12025550143"
    bob = await store.create_customer("Bob")
    with pytest.raises(IdentityConflict, match="already belongs to customer"):
        await store.add_identity(bob.id, "phone", "202 555 0143")
    # nothing half-written by the failed create: Bob has no identities, only one Bob-less Ann
    assert (await store.get_customer(bob.id)).identities == ()  # type: ignore[union-attr]
    assert (await store.find_by_identity("phone", "2025550143")) == ann


async def test_same_number_different_kind_is_separate(store: CustomerStore) -> None:
    ann = await store.create_customer(identities=[("messenger", "12025550143")])
    bob = await store.create_customer(identities=[("phone", "12025550143")])
    assert (await store.find_by_identity("messenger", "12025550143")).id == ann.id  # type: ignore[union-attr]
    assert (await store.find_by_identity("phone", "12025550143")).id == bob.id  # type: ignore[union-attr]


async def test_add_identity_is_idempotent_and_can_verify(store: CustomerStore) -> None:
    ann = await store.create_customer("Ann")
    first = await store.add_identity(ann.id, "email", "ann@example.com")
    again = await store.add_identity(ann.id, "email", "ANN@example.com", verified=True)
    assert again.id == first.id and not first.verified and again.verified
    assert len((await store.get_customer(ann.id)).identities) == 1  # type: ignore[union-attr]
    with pytest.raises(NotFound, match="customer 999"):
        await store.add_identity(999, "email", "x@example.com")


async def test_concurrent_adds_of_one_identity_give_one_owner(store: CustomerStore) -> None:
    people = [await store.create_customer(f"c{i}") for i in range(6)]
    results = await asyncio.gather(
        *(store.add_identity(p.id, "phone", "+442079460958") for p in people),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, IdentityConflict) for r in results if r not in winners)
    owner = await store.find_by_identity("phone", "+44 20 7946 0958")
    assert owner is not None and owner.id == winners[0].customer_id


async def test_invalid_identity_and_values_are_named(store: CustomerStore) -> None:
    with pytest.raises(InvalidIdentity, match="phone"):
        await store.create_customer(identities=[("phone", "not a number")])
    with pytest.raises(InvalidIdentity, match="phone"):
        await store.find_by_identity("phone", "nope")
    with pytest.raises(InvalidValue, match="^vip:"):
        await store.create_customer(vip="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="^attributes:.*JSON"):
        await store.create_customer(attributes={"when": datetime.now(UTC)})
    with pytest.raises(InvalidValue, match="^identities:"):
        await store.create_customer(identities=["+12025550143"])  # type: ignore[list-item]


async def test_find_follows_merges_to_the_survivor(
    store: CustomerStore, engine: AsyncEngine
) -> None:
    old = await store.create_customer("Old", identities=[("email", "old@example.com")])
    mid = await store.create_customer("Mid")
    survivor = await store.create_customer("Survivor", identities=[("phone", "+12025550143")])
    async with engine.begin() as connection:  # merging is not in the store yet: set it directly
        await connection.execute(
            update(Customer).where(Customer.id == old.id).values(merged_into=mid.id)
        )
        await connection.execute(
            update(Customer).where(Customer.id == mid.id).values(merged_into=survivor.id)
        )
    found = await store.find_by_identity("email", "old@example.com")
    assert found is not None and found.id == survivor.id
    assert found.identities[0].value == "+12025550143"
    assert (await store.get_customer(old.id)).merged_into == mid.id  # type: ignore[union-attr]


async def test_profile_data_upserts_with_channel_and_time(
    store: CustomerStore, engine: AsyncEngine
) -> None:
    times = iter(
        [datetime(2024, 1, 1, 9, tzinfo=UTC), datetime(2024, 1, 2, 10, 30, 0, 123456, tzinfo=UTC)]
    )
    clocked = CustomerStore(make_sessionmaker(engine), clock=lambda: next(times))
    ann = await store.create_customer("Ann")
    first = await clocked.save_profile_data(ann.id, "order_id", "A-1", "web")
    assert first.updated_at == datetime(2024, 1, 1, 9, tzinfo=UTC)
    await store.save_profile_data(ann.id, "address", "1 Main St\nSpringfield", "email")
    second = await clocked.save_profile_data(ann.id, "order_id", "A-2", "voice")
    data = await store.profile_data(ann.id)
    assert list(data) == ["address", "order_id"]
    assert data["order_id"] == second
    assert (data["order_id"].value, data["order_id"].channel) == ("A-2", "voice")
    assert data["order_id"].updated_at == datetime(2024, 1, 2, 10, 30, 0, 123456, tzinfo=UTC)
    assert data["address"].value == "1 Main St\nSpringfield"
    assert await store.profile_data(ann.id + 1) == {}


async def test_profile_data_validation(store: CustomerStore) -> None:
    ann = await store.create_customer("Ann")
    with pytest.raises(InvalidValue, match="^channel: 'fax'"):
        await store.save_profile_data(ann.id, "order_id", "1", "fax")
    with pytest.raises(InvalidValue, match="^value:"):
        await store.save_profile_data(ann.id, "order_id", 1, "web")  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="^field:"):
        await store.save_profile_data(ann.id, " ", "1", "web")
    with pytest.raises(NotFound):
        await store.save_profile_data(ann.id + 5, "order_id", "1", "web")


async def test_default_region_reads_national_numbers(
    store: CustomerStore, engine: AsyncEngine
) -> None:
    london = CustomerStore(make_sessionmaker(engine), default_region="GB")
    ann = await london.create_customer("Ann", identities=[("phone", "020 7946 0958")])
    assert ann.identities[0].value == "+442079460958"
    assert await store.find_by_identity("phone", "011 44 20 7946 0958") == ann
    assert await london.find_by_identity("phone", "+44 (0)20 7946 0958") == ann
