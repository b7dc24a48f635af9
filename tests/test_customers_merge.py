"""Merging two profiles and undoing it, over real HTTP, on SQLite and PostgreSQL: identities,
timelines, journeys and profile data join; the old id resolves; undo splits back exactly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from customers.models import Journey
from customers.records import Actor
from customers.store import CustomerStore
from tests.api_helpers import Api, conforms, serve_api

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
_ACTOR = Actor("system", "test")


@pytest.fixture
async def api(store: CustomerStore) -> AsyncIterator[Api]:
    async with serve_api(store) as served:
        yield served


async def _person(store: CustomerStore, engine: AsyncEngine, customer_id: int) -> dict[str, Any]:
    """Everything the store holds for one customer id, to compare before and after."""
    async with engine.connect() as connection:
        journeys = (
            await connection.execute(
                select(Journey.id).where(Journey.customer_id == customer_id).order_by(Journey.id)
            )
        ).scalars()
        journey_ids = list(journeys)
    return {
        "customer": await store.get_customer(customer_id),
        "timeline": (await store.timeline(customer_id, limit=500)).items,
        "profile": await store.profile_data(customer_id),
        "journeys": journey_ids,
    }


async def _two_profiles(store: CustomerStore) -> tuple[int, int]:
    ann = await store.create_customer(
        "Ann", identities=[("phone", "+12025550143"), ("email", "ann@example.com")]
    )
    other = await store.create_customer(
        "Ann S.",
        segment="gold",
        vip=True,
        language="en-GB",
        attributes={"crm": "X-9", "tier": 2},
        identities=[("email", "ann.s@work.example"), ("chat", "visitor-3")],
    )
    for i in range(3):
        await store.record_interaction(ann.id, "voice", "in", occurred_at=T0 + timedelta(days=i))
    for i in range(2):
        await store.record_interaction(
            other.id, "chat", "in", occurred_at=T0 + timedelta(hours=5 + i), idempotency_key=f"c{i}"
        )
    await store.start_journey("ann-call", "telecom", customer_id=ann.id, started_at=T0)
    await store.start_journey("other-call", "telecom", customer_id=other.id, started_at=T0)
    # Ann's account number is older than the one the other profile gave
    await store.save_profile_data(ann.id, "account", "111", "voice")
    await store.save_profile_data(other.id, "account", "222", "chat")
    await store.save_profile_data(other.id, "address", "1 Main St", "web")
    return ann.id, other.id


async def test_merge_joins_and_the_old_id_resolves(api: Api, engine: AsyncEngine) -> None:
    ann, other = await _two_profiles(api.store)
    merged = await api.call(
        "POST", f"/api/customers/{ann}/merge", json={"merged_id": other}, status=201
    )
    conforms("Merge", merged["merge"])
    assert merged["merge"]["moved"] == {
        "identities": 2,
        "interactions": 2,
        "journeys": 1,
        "profile_data": 1,
        "profile_replaced": ["account"],
    }
    view = await api.call("GET", f"/api/customers/{other}", status=200)
    assert view["resolved_from"] == other and view["customer"]["id"] == ann
    customer = view["customer"]
    assert {(i["kind"], i["value"]) for i in customer["identities"]} == {
        ("phone", "+12025550143"),
        ("email", "ann@example.com"),
        ("email", "ann.s@work.example"),
        ("chat", "visitor-3"),
    }
    assert (customer["display_name"], customer["segment"], customer["vip"]) == ("Ann", "gold", True)
    assert customer["attributes"] == {"crm": "X-9", "tier": 2}
    assert [i["channel"] for i in view["timeline"]["items"]] == [
        "voice",
        "voice",
        "chat",
        "chat",
        "voice",
    ]
    assert view["profile_data"]["account"]["value"] == "222"  # the newer value
    assert view["profile_data"]["address"]["value"] == "1 Main St"
    assert [m["merged_id"] for m in view["merges"]] == [other]
    found = await api.store.find_by_identity("chat", "visitor-3")
    assert found is not None and found.id == ann
    search = await api.call(
        "GET", "/api/customers", params={"identity": "chat:visitor-3"}, status=200
    )
    assert search["candidates"][0]["customer"]["id"] == ann
    latest = await api.store.latest_journey(ann)
    assert latest is not None and latest.call_id in ("ann-call", "other-call")
    assert (await api.store.get_customer(other)).merged_into == ann  # type: ignore[union-attr]
    [entry] = await api.store.audit_log(action="customer.merge")
    assert entry.target_id == str(ann) and entry.detail["merged_id"] == other
    assert entry.actor.kind == "api_key"


async def test_undo_splits_back_exactly(api: Api, engine: AsyncEngine) -> None:
    ann, other = await _two_profiles(api.store)
    before = (await _person(api.store, engine, ann), await _person(api.store, engine, other))
    merged = await api.call(
        "POST", f"/api/customers/{ann}/merge", json={"merged_id": other}, status=201
    )
    assert await _person(api.store, engine, ann) != before[0]
    undone = await api.call("POST", f"/api/merges/{merged['merge']['id']}/undo", status=200)
    assert undone["merge"]["undone_at"] is not None and undone["restored"]["id"] == other
    after = (await _person(api.store, engine, ann), await _person(api.store, engine, other))
    assert after == before
    again = await api.call("POST", f"/api/merges/{merged['merge']['id']}/undo", status=409)
    assert again["error"] == "merge_conflict" and "already undone" in again["message"]
    [entry] = await api.store.audit_log(action="customer.unmerge")
    assert entry.detail == {"merge_id": merged["merge"]["id"], "merged_id": other}


async def test_what_happened_after_the_merge_stays(api: Api) -> None:
    ann, other = await _two_profiles(api.store)
    merge = await api.store.merge_customers(ann, other, actor=_ACTOR)
    late = await api.call(
        "POST",
        "/api/interactions",
        json={
            "idempotency_key": "late",
            "channel": "chat",
            "direction": "in",
            "identities": [{"kind": "chat", "value": "visitor-3"}],
        },
        status=201,
    )
    assert late["customer_id"] == ann
    await api.store.save_profile_data(ann, "account", "333", "web")  # changed again since
    await api.store.undo_merge(merge.id, actor=_ACTOR)
    timeline = (await api.store.timeline(ann, limit=50)).items
    assert late["interaction"]["id"] in [i.id for i in timeline]
    assert (await api.store.profile_data(ann))["account"].value == "333"  # later write wins
    assert "address" in await api.store.profile_data(other)


async def test_chains_undo_newest_first(api: Api, engine: AsyncEngine) -> None:
    a = (await api.store.create_customer("A", identities=[("email", "a@example.com")])).id
    b = (await api.store.create_customer("B", identities=[("email", "b@example.com")])).id
    c = (await api.store.create_customer("C", identities=[("email", "c@example.com")])).id
    before = [await _person(api.store, engine, i) for i in (a, b, c)]
    first = await api.call("POST", f"/api/customers/{a}/merge", json={"merged_id": b}, status=201)
    second = await api.call("POST", f"/api/customers/{c}/merge", json={"merged_id": a}, status=201)
    view = await api.call("GET", f"/api/customers/{b}", status=200)  # two hops
    assert view["customer"]["id"] == c and len(view["customer"]["identities"]) == 3
    blocked = await api.call("POST", f"/api/merges/{first['merge']['id']}/undo", status=409)
    assert f"undo merge {second['merge']['id']} first" in blocked["message"]
    await api.call("POST", f"/api/merges/{second['merge']['id']}/undo", status=200)
    await api.call("POST", f"/api/merges/{first['merge']['id']}/undo", status=200)
    assert [await _person(api.store, engine, i) for i in (a, b, c)] == before


async def test_merges_that_cannot_happen(api: Api) -> None:
    a = (await api.store.create_customer("A")).id
    b = (await api.store.create_customer("B")).id
    c = (await api.store.create_customer("C")).id
    cases: list[tuple[str, dict[str, Any], int, str | None]] = [
        (f"/api/customers/{a}/merge", {"merged_id": a}, 422, "merged_id"),
        (f"/api/customers/{a}/merge", {}, 422, "merged_id"),
        (f"/api/customers/{a}/merge", {"merged_id": "b"}, 422, "merged_id"),
        (f"/api/customers/{a}/merge", {"merged_id": 999}, 404, None),
        ("/api/customers/x/merge", {"merged_id": b}, 400, "id"),
    ]
    for path, body, status, field in cases:
        answer = await api.call("POST", path, json=body, status=status)
        assert answer.get("field") == field, (path, body, answer)
    await api.call("POST", f"/api/customers/{a}/merge", json={"merged_id": b}, status=201)
    twice = await api.call("POST", f"/api/customers/{c}/merge", json={"merged_id": b}, status=409)
    assert twice["field"] == "merged_id" and f"already merged into customer {a}" in twice["message"]
    into_old = await api.call(
        "POST", f"/api/customers/{b}/merge", json={"merged_id": c}, status=409
    )
    assert into_old["message"] == f"customer {b} was merged into customer {a}"
    missing = await api.call("POST", "/api/merges/999/undo", status=404)
    assert missing["error"] == "not_found"
    assert len(await api.store.audit_log(action="customer.merge")) == 1
