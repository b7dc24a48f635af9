"""Customers over real HTTP, on SQLite and PostgreSQL: create, read with the paged timeline
and the IVR journey of voice interactions, search by identity (known / maybe / none)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from customers.matching import match_key
from customers.store import CustomerStore
from tests.api_helpers import Api, conforms, serve_api

T0 = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def api(store: CustomerStore) -> AsyncIterator[Api]:
    async with serve_api(store) as served:
        yield served


async def test_create_customer(api: Api) -> None:
    answer = await api.call(
        "POST",
        "/api/customers",
        json={
            "display_name": "Ann Smith",
            "segment": "gold",
            "vip": True,
            "attributes": {"crm": "C-1"},
            "identities": [
                {"kind": "phone", "value": "(202) 555-0143"},
                {"kind": "email", "value": "Ann@Example.com"},
                {"kind": "email", "value": "ann.work@example.com"},
            ],
        },
        status=201,
    )
    conforms("Customer", answer["customer"])
    assert [(i["kind"], i["value"]) for i in answer["customer"]["identities"]] == [
        ("phone", "+12025550143"),
        ("email", "ann@example.com"),
        ("email", "ann.work@example.com"),
    ]
    [entry] = await api.store.audit_log(action="customer.create")
    assert entry.target_id == str(answer["customer"]["id"])
    assert entry.detail == {
        "identities": ["phone", "email", "email"],
        "fields": ["attributes", "display_name", "segment", "vip"],
    }
    taken = await api.call(
        "POST",
        "/api/customers",
        json={"identities": [{"kind": "phone", "value": "+1 202 555 0143"}]},
        status=409,
    )
    assert taken["error"] == "identity_conflict" and taken["owner_id"] == answer["customer"]["id"]
    bad = await api.call("POST", "/api/customers", json={"vip": "yes"}, status=422)
    assert bad["field"] == "vip"
    assert len(await api.store.audit_log(action="customer.create")) == 1


async def _voice_call(store: CustomerStore, customer_id: int, at: datetime) -> int:
    """A journey as the IVR stores it (the engine's menu plan and path shapes)."""
    agent = await store.create_agent("bob", "Bob Agent", "PJSIP/1001")
    journey_id = await store.start_journey(
        "call-1", "telecom", customer_id=customer_id, caller="+12025550143", started_at=at
    )
    await store.update_journey(
        journey_id,
        menus=[
            {
                "node": "main",
                "offset_ms": 900,
                "mode": "personalised",
                "order": [
                    {"key": "1", "option": "billing", "intent": "billing", "promoted": True},
                    {"key": "2", "option": "tech", "intent": "tech", "promoted": False},
                ],
                "promoted": ["billing"],
                "reasons": {"billing": "asked about billing 3 times in 30 days"},
            }
        ],
        path=[
            {
                "node": "main",
                "kind": "menu",
                "offset_ms": 900,
                "input": None,
                "detail": {"result": "entered"},
            },
            {
                "node": "main",
                "kind": "menu",
                "offset_ms": 4100,
                "input": "1",
                "detail": {"result": "option"},
            },
            {
                "node": "acct",
                "kind": "gather",
                "offset_ms": 9000,
                "input": "5521",
                "detail": {"result": "collected"},
            },
        ],
        inputs={"account": {"value": "5521", "source": "voice"}, "_return_stack": []},
        status="transferred",
        service="billing",
        intent="billing",
        ended_at=at + timedelta(seconds=40),
    )
    await store.record_interaction(
        customer_id,
        "voice",
        "in",
        occurred_at=at,
        intent="billing",
        journey_id=journey_id,
        agent_id=agent.id,
        summary="IVR telecom: transferred at billing",
    )
    return journey_id


async def test_customer_with_timeline_pages_and_ivr_journey(api: Api) -> None:
    ann = await api.store.create_customer("Ann", identities=[("phone", "+12025550143")])
    for i in range(5):
        await api.store.record_interaction(
            ann.id, "email", "in", occurred_at=T0 + timedelta(hours=i), topic=f"mail {i}"
        )
    journey_id = await _voice_call(api.store, ann.id, T0 + timedelta(days=1))
    await api.store.save_profile_data(ann.id, "account", "5521", "voice")

    first = await api.call("GET", f"/api/customers/{ann.id}?limit=2", status=200)
    conforms("CustomerView", first)
    assert first["resolved_from"] is None
    assert first["profile_data"]["account"]["value"] == "5521"
    voice, newest_mail = first["timeline"]["items"]
    assert (voice["channel"], newest_mail["topic"]) == ("voice", "mail 4")
    assert voice["agent"] == {"id": voice["agent"]["id"], "login": "bob", "name": "Bob Agent"}
    ivr = voice["journey"]
    assert ivr["id"] == journey_id and ivr["service"] == "billing"
    assert ivr["menus"] == [
        {
            "menu": "main",
            "heard": [
                {"key": "1", "option": "billing", "intent": "billing", "promoted": True},
                {"key": "2", "option": "tech", "intent": "tech", "promoted": False},
            ],
            "promoted": ["billing"],
            "reasons": {"billing": "asked about billing 3 times in 30 days"},
            "mode": "personalised",
        }
    ]
    assert [(s["node"], s["input"], s["result"]) for s in ivr["inputs"]] == [
        ("main", "1", "option"),
        ("acct", "5521", "collected"),
    ]
    assert ivr["collected"] == {"account": "5521"}

    topics = [i["topic"] for i in first["timeline"]["items"]]
    cursor = first["timeline"]["next_cursor"]
    while cursor:
        page = await api.call(
            "GET", f"/api/customers/{ann.id}", params={"limit": "2", "before": cursor}, status=200
        )
        topics += [i["topic"] for i in page["timeline"]["items"]]
        cursor = page["timeline"]["next_cursor"]
    assert topics == [None, "mail 4", "mail 3", "mail 2", "mail 1", "mail 0"]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("/api/customers/abc", 400, "id"),
        ("/api/customers/0", 400, "id"),
        ("/api/customers/1?limit=0", 400, "limit"),
        ("/api/customers/1?limit=many", 400, "limit"),
        ("/api/customers/1?before=%%%", 400, "before"),
        ("/api/customers", 400, "identity"),
        ("/api/customers?identity=phone", 400, "identity"),
        ("/api/customers?identity=fax:123", 400, "identity"),
        ("/api/customers?identity=phone:12", 400, "identity"),
        ("/api/customers?identity=email:nobody", 400, "identity"),
    ],
)
async def test_bad_path_and_query_name_the_parameter(
    api: Api, query: str, status: int, field: str
) -> None:
    await api.store.create_customer("Ann")
    answer = await api.call("GET", query, status=status)
    conforms("Error", answer)
    assert answer["field"] == field


async def test_unknown_customer_is_404(api: Api) -> None:
    answer = await api.call("GET", "/api/customers/4242", status=404)
    assert answer["error"] == "not_found" and "4242" in answer["message"]


@pytest.mark.parametrize(
    "form", ["(202) 555-0143", "202-555-0143", "+1 202 555 0143", "12025550143", "tel:2025550143"]
)
async def test_search_finds_any_national_form(api: Api, form: str) -> None:
    ann = await api.store.create_customer("Ann", identities=[("phone", "+1 (202) 555-0143")])
    found = await api.call(
        "GET", "/api/customers", params={"identity": f"phone:{form}"}, status=200
    )
    conforms("SearchResult", found)
    assert (found["match"], found["value"]) == ("known", "+12025550143")
    assert [c["customer"]["id"] for c in found["candidates"]] == [ann.id]


async def test_search_known_maybe_none_by_the_documented_rules(api: Api) -> None:
    ann = await api.store.create_customer(
        "Ann",
        identities=[("email", "ann.smith@gmail.com"), ("social", "twitter:@AnnS"), ("chat", "v-1")],
    )
    bob = await api.store.create_customer("Bob", identities=[("phone", "+442079460958")])
    cases = {
        "email:Ann.Smith@gmail.com": ("known", [ann.id], "exact identity"),
        "email:annsmith+news@googlemail.com": ("maybe", [ann.id], "same mailbox"),
        "social:instagram:anns": ("maybe", [ann.id], "same handle"),
        "phone:207 946 0958": ("maybe", [bob.id], "same national number"),
        "chat:V-1": ("none", [], None),  # opaque ids: no weaker rule
        "email:ann.smith@example.com": ("none", [], None),
    }
    for query, (match, ids, rule) in cases.items():
        found = await api.call("GET", "/api/customers", params={"identity": query}, status=200)
        assert found["match"] == match, query
        assert [c["customer"]["id"] for c in found["candidates"]] == ids, query
        if rule:
            assert found["candidates"][0]["rule"].startswith(rule), query


def test_match_keys() -> None:
    assert match_key("phone", "+12079460958") == match_key("phone", "+442079460958")
    assert match_key("phone", "+12079460958") != match_key("phone", "+12079460959")
    assert match_key("email", "a.n.n+x@googlemail.com") == match_key("email", "ann@gmail.com")
    assert match_key("email", "a.nn+x@example.com") == match_key("email", "a.nn@example.com")
    assert match_key("email", "a.nn@example.com") != match_key("email", "ann@example.com")
    assert match_key("social", "twitter:ann") == match_key("social", "ann")
    assert match_key("chat", "v-1") is None and match_key("web", "x") is None
