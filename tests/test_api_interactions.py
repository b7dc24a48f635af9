"""POST /api/interactions over real HTTP, on SQLite and PostgreSQL: idempotency, identity
resolution (known / maybe / created), field-naming errors, one transaction, audit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from customers.models import Customer, Identity, Interaction
from customers.store import CustomerStore
from tests.api_helpers import Api, conforms, serve_api

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
async def api(store: CustomerStore) -> AsyncIterator[Api]:
    async with serve_api(store, clock=lambda: NOW) as served:
        yield served


def email(key: str, address: str, **extra: object) -> dict[str, object]:
    return {
        "idempotency_key": key,
        "channel": "email",
        "direction": "in",
        "topic": "Invoice question",
        "identities": [{"kind": "email", "value": address}],
    } | extra


async def count(engine: AsyncEngine, model: type) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(model))).scalar_one()


async def test_same_key_twice_stores_one_interaction(api: Api, engine: AsyncEngine) -> None:
    first = await api.call(
        "POST", "/api/interactions", json=email("m-1", "Ann@Example.com"), status=201
    )
    conforms("IngestResult", first)
    assert first["match"] == "created" and first["replayed"] is False
    assert first["interaction"]["occurred_at"] == NOW.isoformat()  # the API's clock
    again = await api.call(
        "POST", "/api/interactions", json=email("m-1", "someone.else@example.com"), status=200
    )
    assert again["replayed"] is True
    assert again["interaction"] == first["interaction"]
    assert await count(engine, Interaction) == 1 and await count(engine, Customer) == 1
    # nothing of the replay's different payload was written: no second identity
    assert await api.store.find_by_identity("email", "someone.else@example.com") is None


async def test_key_in_the_idempotency_key_header(api: Api, engine: AsyncEngine) -> None:
    body = email("", "ann@example.com")
    del body["idempotency_key"]
    headers = api.admin | {"Idempotency-Key": "sms-77"}
    one = await api.call("POST", "/api/interactions", json=body, headers=headers, status=201)
    two = await api.call("POST", "/api/interactions", json=body, headers=headers, status=200)
    assert (
        one["interaction"]["idempotency_key"] == "sms-77" == two["interaction"]["idempotency_key"]
    )
    clash = await api.call(
        "POST",
        "/api/interactions",
        json=body | {"idempotency_key": "other"},
        headers=headers,
        status=422,
    )
    assert clash["field"] == "idempotency_key"
    missing = await api.call("POST", "/api/interactions", json=body, status=422)
    assert missing["field"] == "idempotency_key" and "required" in missing["message"]
    assert await count(engine, Interaction) == 1


async def test_concurrent_deliveries_of_one_key_store_one(api: Api, engine: AsyncEngine) -> None:
    body = email("dup", "race@example.com")
    results = await asyncio.gather(
        *(api.client.post("/api/interactions", json=body, headers=api.admin) for _ in range(5))
    )
    statuses = sorted(r.status for r in results)
    assert statuses == [200, 200, 200, 200, 201]
    assert await count(engine, Interaction) == 1 and await count(engine, Customer) == 1


async def test_national_phone_forms_resolve_to_one_customer(api: Api) -> None:
    forms = [
        "(202) 555-0143",
        "+1 202-555-0143",
        "1-202-555-0143",
        "tel:+12025550143",
        "202.555.0143",
    ]
    ids, matches = set(), []
    for i, form in enumerate(forms):
        answer = await api.call(
            "POST",
            "/api/interactions",
            json={
                "idempotency_key": f"sms-{i}",
                "channel": "sms",
                "direction": "in",
                "identities": [{"kind": "phone", "value": form}],
            },
            status=201,
        )
        ids.add(answer["customer_id"])
        matches.append(answer["match"])
    assert len(ids) == 1 and matches == ["created"] + ["known"] * 4
    customer = await api.store.get_customer(ids.pop())
    assert [(i.kind, i.value) for i in customer.identities] == [("phone", "+12025550143")]  # type: ignore[union-attr]


async def test_known_identity_attaches_and_adds_the_new_ones(api: Api) -> None:
    ann = await api.store.create_customer("Ann", identities=[("email", "ann@example.com")])
    answer = await api.call(
        "POST",
        "/api/interactions",
        json={
            "idempotency_key": "chat-1",
            "channel": "chat",
            "direction": "in",
            "identities": [
                {"kind": "email", "value": "ANN@example.com"},
                {"kind": "chat", "value": "visitor-9"},
            ],
        },
        status=201,
    )
    assert (answer["customer_id"], answer["match"]) == (ann.id, "known")
    assert answer["identities_added"] == [{"kind": "chat", "value": "visitor-9", "verified": False}]
    found = await api.store.find_by_identity("chat", "visitor-9")
    assert found is not None and found.id == ann.id


async def test_maybe_match_only_when_asked(api: Api, engine: AsyncEngine) -> None:
    ann = await api.store.create_customer("Ann", identities=[("email", "ann.smith@gmail.com")])
    variant = "AnnSmith+shop@googlemail.com"
    created = await api.call("POST", "/api/interactions", json=email("e-1", variant), status=201)
    assert created["match"] == "created" and created["candidates"] == [ann.id]
    assert created["customer_id"] != ann.id
    other = "a.n.n.smith+x@gmail.com"
    attached = await api.call(
        "POST",
        "/api/interactions",
        json=email("e-2", other, accept_maybe=True),
        status=201,
    )
    # two customers are maybe now (ann and the one just created): nobody is guessed
    assert attached["match"] == "created" and sorted(attached["candidates"]) == sorted(
        [ann.id, created["customer_id"]]
    )
    bob = await api.store.create_customer("Bob", identities=[("phone", "+442079460958")])
    maybe = await api.call(
        "POST",
        "/api/interactions",
        json={
            "idempotency_key": "sms-9",
            "channel": "sms",
            "direction": "in",
            "identities": [{"kind": "phone", "value": "207 946 0958"}],  # read as +1 207...
            "accept_maybe": True,
        },
        status=201,
    )
    assert (maybe["customer_id"], maybe["match"], maybe["identities_added"]) == (
        bob.id,
        "maybe",
        [],
    )
    assert await api.store.find_by_identity("phone", "+12079460958") is None  # not claimed


async def test_reject_unknown_writes_nothing(api: Api, engine: AsyncEngine) -> None:
    ann = await api.store.create_customer("Ann", identities=[("email", "ann@example.com")])
    before = (await count(engine, Customer), await count(engine, Interaction))
    answer = await api.call(
        "POST",
        "/api/interactions",
        json=email("w-1", "ann+promo@example.com", on_unknown="reject"),
        status=422,
    )
    assert answer["error"] == "unresolved" and answer["field"] == "identities"
    assert answer["candidates"] == [ann.id]
    assert (await count(engine, Customer), await count(engine, Interaction)) == before


async def test_identities_of_two_customers_conflict(api: Api, engine: AsyncEngine) -> None:
    ann = await api.store.create_customer("Ann", identities=[("email", "ann@example.com")])
    bob = await api.store.create_customer("Bob", identities=[("phone", "+12025550100")])
    answer = await api.call(
        "POST",
        "/api/interactions",
        json={
            "idempotency_key": "x-1",
            "channel": "web",
            "direction": "in",
            "identities": [
                {"kind": "email", "value": "ann@example.com"},
                {"kind": "phone", "value": "202-555-0100"},
                {"kind": "web", "value": "cookie-1"},
            ],
        },
        status=409,
    )
    assert answer["error"] == "ambiguous_identities" and answer["field"] == "identities"
    assert set(answer["owners"]) == {str(ann.id), str(bob.id)}
    assert await count(engine, Interaction) == 0
    assert await api.store.find_by_identity("web", "cookie-1") is None  # nothing half-written


async def test_explicit_customer_and_merged_id(api: Api) -> None:
    ann = await api.store.create_customer("Ann")
    bob = await api.store.create_customer("Bob", identities=[("email", "bob@example.com")])
    body = {
        "idempotency_key": "k",
        "channel": "outbound",
        "direction": "out",
        "customer_id": ann.id,
    }
    answer = await api.call(
        "POST",
        "/api/interactions",
        json=body | {"identities": [{"kind": "email", "value": "bob@example.com"}]},
        status=409,
    )
    assert answer["error"] == "identity_conflict" and answer["owner_id"] == bob.id
    ok = await api.call("POST", "/api/interactions", json=body, status=201)
    assert (ok["customer_id"], ok["match"]) == (ann.id, "known")
    missing = await api.call(
        "POST",
        "/api/interactions",
        json=body | {"idempotency_key": "k2", "customer_id": 999},
        status=404,
    )
    assert "999" in missing["message"]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"channel": "fax"}, 422, "channel"),
        ({"direction": None}, 422, "direction"),
        ({"identities": [{"kind": "phone", "value": "12"}]}, 422, "identities[0].value"),
        ({"identities": [{"kind": "pager", "value": "1"}]}, 422, "identities[0].kind"),
        ({"identities": [{"kind": "email"}]}, 422, "identities[0].value"),
        ({"occurred_at": "2026-03-01T10:00:00"}, 422, "occurred_at"),
        ({"occurred_at": "yesterday"}, 422, "occurred_at"),
        ({"occurred_at": (NOW + timedelta(hours=1)).isoformat()}, 422, "occurred_at"),
        ({"outcome": "great"}, 422, "outcome"),
        ({"open": "yes"}, 422, "open"),
        ({"colour": "red"}, 422, "colour"),
        ({"identities": []}, 422, "identities"),
        ({"customer_id": 0}, 422, "customer_id"),
        ({"summary": ""}, 422, "summary"),
    ],
)
async def test_bad_input_names_the_field(
    api: Api, engine: AsyncEngine, change: dict[str, object], status: int, field: str
) -> None:
    body = {
        key: value
        for key, value in (email("bad", "ann@example.com") | change).items()
        if value is not None
    }
    answer = await api.call("POST", "/api/interactions", json=body, status=status)
    conforms("Error", answer)
    assert answer["field"] == field, answer
    assert answer["message"]
    assert await count(engine, Interaction) == 0 and await count(engine, Identity) == 0


async def test_not_json_is_400(api: Api) -> None:
    for raw in (b"{not json", b"[1, 2]", b'"text"'):
        answer = await api.call(
            "POST",
            "/api/interactions",
            data=raw,
            headers=api.admin | {"Content-Type": "application/json"},
            status=400,
        )
        assert answer["field"] == "body"


async def test_ingest_is_audited(api: Api) -> None:
    answer = await api.call(
        "POST", "/api/interactions", json=email("a-1", "new@example.com"), status=201
    )
    entries = await api.store.audit_log(limit=10)
    made = [(e.action, e.target_kind, e.target_id, e.actor.kind) for e in entries[:2]]
    assert made == [
        ("interaction.create", "interaction", str(answer["interaction"]["id"]), "api_key"),
        ("customer.create", "customer", str(answer["customer_id"]), "api_key"),
    ]
    assert entries[0].detail == {
        "customer_id": answer["customer_id"],
        "channel": "email",
        "match": "created",
    }
    assert entries[1].detail == {"identities": ["email"], "via": "interaction"}
    await api.call("POST", "/api/interactions", json=email("a-1", "new@example.com"), status=200)
    assert len(await api.store.audit_log(limit=100)) == len(entries)  # a replay writes nothing
