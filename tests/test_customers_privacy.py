"""Privacy over real HTTP, on SQLite and PostgreSQL: export everything held about a person as
one JSON document, erase it leaving only anonymous counts; both audited."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from customers.models import Customer, Identity, Interaction, Journey, Merge, ProfileData
from customers.records import Actor
from customers.store import CustomerStore
from tests.api_helpers import Api, conforms, serve_api

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
ADMIN = Actor("system", "test")


@pytest.fixture
async def api(store: CustomerStore) -> AsyncIterator[Api]:
    async with serve_api(store) as served:
        yield served


async def _ann(store: CustomerStore) -> tuple[int, int, int]:
    """Ann (with a second profile merged into her), her calls, mails and data; and Bob."""
    ann = await store.create_customer(
        "Ann Smith", segment="gold", identities=[("phone", "+12025550143")]
    )
    old = await store.create_customer("Ann S.", identities=[("email", "ann@example.com")])
    bob = await store.create_customer("Bob", identities=[("phone", "+12025550100")])
    agent = await store.create_agent("carol", "Carol", "PJSIP/1001")
    journey = await store.start_journey(
        "call-1", "telecom", customer_id=ann.id, caller="+12025550143", started_at=T0
    )
    await store.update_journey(
        journey,
        path=[{"node": "acct", "kind": "gather", "offset_ms": 5, "input": "5521", "detail": {}}],
        inputs={"account": {"value": "5521", "source": "voice"}},
        status="transferred",
        service="billing",
    )
    # a call that hung up before she was recognised: only the caller number links it to her
    await store.start_journey("call-0", "telecom", caller="+12025550143", started_at=T0)
    await store.record_interaction(
        ann.id,
        "voice",
        "in",
        occurred_at=T0,
        intent="billing",
        outcome="resolved",
        agent_id=agent.id,
        journey_id=journey,
        data={"recording": "rec/call-1.wav"},
    )
    await store.record_interaction(
        ann.id,
        "voice",
        "in",
        occurred_at=T0 + timedelta(hours=1),
        intent="billing",
        outcome="resolved",
        agent_id=agent.id,
    )
    await store.record_interaction(
        old.id,
        "email",
        "in",
        occurred_at=T0 + timedelta(days=1),
        topic="My address is 1 Main St",
        idempotency_key="mail-1",
    )
    await store.save_profile_data(ann.id, "account", "5521", "voice")
    await store.save_profile_data(old.id, "address", "1 Main St", "email")
    await store.merge_customers(ann.id, old.id, actor=ADMIN)
    await store.record_interaction(bob.id, "sms", "in", occurred_at=T0)
    return ann.id, old.id, bob.id


async def test_export_holds_everything_and_is_audited(api: Api) -> None:
    ann, old, _bob = await _ann(api.store)
    response = await api.client.get(f"/api/customers/{old}/export", headers=api.admin)
    assert response.status == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="customer-{ann}.json"'
    doc = await response.json()
    conforms("Export", doc)
    assert doc["customer"]["id"] == ann and doc["customer"]["display_name"] == "Ann Smith"
    assert [c["id"] for c in doc["merged_profiles"]] == [old]
    assert {i["value"] for i in doc["customer"]["identities"]} == {
        "+12025550143",
        "ann@example.com",
    }
    assert [(i["channel"], i["topic"]) for i in doc["timeline"]] == [
        ("voice", None),
        ("voice", None),
        ("email", "My address is 1 Main St"),
    ]
    assert doc["profile_data"][str(ann)]["account"]["value"] == "5521"
    assert doc["profile_data"][str(ann)]["address"]["value"] == "1 Main St"  # moved by the merge
    calls = {j["ivr"]["call_id"]: j for j in doc["journeys"]}
    assert set(calls) == {"call-1", "call-0"}
    assert calls["call-1"]["ivr"]["inputs"][0]["input"] == "5521"
    assert calls["call-1"]["inputs"] == {"account": {"value": "5521", "source": "voice"}}
    assert calls["call-0"]["caller"] == "+12025550143"
    assert doc["recordings"] == [
        {"interaction_id": doc["timeline"][0]["id"], "ref": "rec/call-1.wav"}
    ]
    assert [m["merged_id"] for m in doc["merges"]] == [old]
    assert "customer.merge" in [a["action"] for a in doc["audit"]]
    [entry] = await api.store.audit_log(action="customer.export")
    assert entry.target_id == str(ann) and entry.actor.kind == "api_key"
    assert entry.detail == {"customer_ids": [ann, old], "interactions": 3}


async def _rows(engine: AsyncEngine, model: type, where: object) -> int:
    async with engine.connect() as connection:
        query = select(func.count()).select_from(model).where(where)  # type: ignore[arg-type]
        return (await connection.execute(query)).scalar_one()


async def test_erase_leaves_only_counts(api: Api, engine: AsyncEngine) -> None:
    ann, old, bob = await _ann(api.store)
    answer = await api.call("DELETE", f"/api/customers/{ann}", status=200)
    erasure = answer["erasure"]
    assert erasure["customer_ids"] == [ann, old]
    assert erasure["removed"] == {
        "customers": 2,
        "identities": 2,
        "profile_fields": 2,
        "interactions": 3,
        "journeys": 2,
    }
    group = [ann, old]
    for model, column in [
        (Identity, Identity.customer_id),
        (ProfileData, ProfileData.customer_id),
        (Interaction, Interaction.customer_id),
        (Journey, Journey.customer_id),
    ]:
        assert await _rows(engine, model, column.in_(group)) == 0, model
    assert await _rows(engine, Journey, Journey.caller == "+12025550143") == 0
    assert await _rows(engine, Merge, Merge.survivor_id == ann) == 0
    async with engine.connect() as connection:
        tombstones = (
            await connection.execute(select(Customer).where(Customer.id.in_(group)))
        ).all()
        assert all(
            (r.display_name, r.segment, r.language, r.attributes, r.vip)
            == (None, None, None, {}, False)
            and r.erased_at is not None
            for r in tombstones
        )
        every = json.dumps(
            [
                list(r)
                for t in ("customers", "erasures", "erased_counts", "audit_log", "identities")
                for r in (await connection.execute(text(f"SELECT * FROM {t}"))).all()
            ],
            default=str,
        )
    for personal in ("Ann", "ann@example.com", "2025550143", "Main St", "5521", "rec/call-1"):
        assert personal not in every, personal
    carol = await api.store.get_agent("carol")
    assert carol is not None
    assert await api.store.erased_counts() == [
        {
            "day": T0.date(),
            "channel": "voice",
            "direction": "in",
            "intent": "billing",
            "outcome": "resolved",
            "agent_id": carol.id,
            "count": 2,
        },
        {
            "day": T0.date() + timedelta(days=1),
            "channel": "email",
            "direction": "in",
            "intent": None,
            "outcome": None,
            "agent_id": None,
            "count": 1,
        },
    ]
    # Bob is untouched
    assert len((await api.store.timeline(bob)).items) == 1
    [entry] = await api.store.audit_log(action="customer.erase")
    assert entry.target_id == str(ann) and entry.detail["counts"]["interactions"] == 3


async def test_erased_ids_answer_gone_and_identities_are_free(api: Api) -> None:
    ann, old, _bob = await _ann(api.store)
    await api.call("DELETE", f"/api/customers/{old}", status=200)  # the merged id: whole person
    for method, path in [
        ("GET", f"/api/customers/{ann}"),
        ("GET", f"/api/customers/{old}"),
        ("GET", f"/api/customers/{ann}/export"),
        ("DELETE", f"/api/customers/{ann}"),
    ]:
        gone = await api.call(method, path, status=410)
        assert gone["error"] == "erased" and gone["erased_at"], path
    merge = await api.call(
        "POST", f"/api/customers/{ann}/merge", json={"merged_id": _bob}, status=410
    )
    assert merge["error"] == "erased"
    erasure = await api.store.erasure_of(old)
    assert erasure is not None and erasure.customer_id == ann
    again = await api.call(
        "POST",
        "/api/interactions",
        json={
            "idempotency_key": "mail-1",  # her old key is gone with her
            "channel": "sms",
            "direction": "in",
            "identities": [{"kind": "phone", "value": "(202) 555-0143"}],
        },
        status=201,
    )
    assert again["match"] == "created" and again["customer_id"] not in (ann, old)


async def test_unknown_id_cannot_be_erased(api: Api) -> None:
    answer = await api.call("DELETE", "/api/customers/777", status=404)
    assert answer["error"] == "not_found"
    assert await api.store.audit_log(action="customer.erase") == []


async def test_erasure_takes_the_texted_links_and_their_messages(store: CustomerStore) -> None:
    ann = await store.create_customer("Ann", identities=[("phone", "+14155550190")])
    other = await store.create_customer("Olga", identities=[("phone", "+14155550191")])
    journey = await store.start_journey("call-1", "telecom", customer_id=ann.id)
    later = datetime.now(UTC) + timedelta(hours=1)
    await store.add_resume_token(
        token_hash="a" * 64,
        kind="sms_link",
        call_id="call-1",
        journey_id=journey,
        service="billing",
        expires_at=later,
        customer_id=ann.id,
        phone="+14155550190",
    )
    await store.queue_sms("call-1:sms", "+14155550190", "Continue: https://x/continue/T")
    await store.queue_sms("call-2:sms", "+14155550191", "Continue: https://x/continue/U")

    await store.erase_customer(ann.id, actor=Actor("system", "test"))

    assert await store.resume_token("a" * 64) is None
    erased, kept = await store.sms("call-1:sms"), await store.sms("call-2:sms")
    assert erased is not None and (erased.to, erased.body) == ("erased", "")
    assert kept is not None and kept.to == "+14155550191" and other.id != ann.id
