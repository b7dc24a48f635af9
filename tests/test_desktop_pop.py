"""The screen-pop built from a real store (SQLite and PostgreSQL): customer card, timeline across
channels newest first, open matters, the call's IVR journey, routing trace, unknown caller."""

from __future__ import annotations

from datetime import timedelta

import pytest

from customers.store import CustomerStore
from omnivox.desktop import AgentCache, PopHub, build_pop, bus_listener, contact_from_offer
from omnivox.desktop.hub import Listener
from omnivox.desktop.popview import MASK
from tests.desktop_helpers import DECISION, T0, make_agent, seed_customer


def _contact(customer_id: int | None, journey_id: int | None, **extra: object) -> dict:
    return {
        "call_id": "call-7",
        "journey_id": journey_id,
        "customer_id": customer_id,
        "caller": "+14155550100",
        "service": "billing",
        "skills": ["billing", "spanish"],
        "priority": 5,
        "intent": "billing",
        "language": "en",
        "entered_at": "2026-03-08T09:00:00+00:00",
        "waited_s": 12.5,
        "kind": "call",
    } | extra


async def test_the_pop_of_a_known_customer(store: CustomerStore) -> None:
    customer_id, journey_id, agent_id = await seed_customer(store)
    pop = await build_pop(
        store, contact=_contact(customer_id, journey_id), trace=DECISION, agent_id=agent_id
    )
    card = pop["customer"]
    assert (card["name"], card["segment"], card["vip"], card["match"]) == (
        "Ann Smith",
        "gold",
        True,
        "known",
    )
    assert [i["value"] for i in card["identities"]["phone"]] == ["+14155550100", "+14155550199"]
    assert card["identities"]["email"][0]["value"] == "ann@example.com"
    assert pop["unknown"] is None

    items = pop["timeline"]["items"]
    assert [i["channel"] for i in items] == ["sms", "voice", "chat", "email"]  # newest first
    assert [i["direction"] for i in items] == ["out", "in", "in", "in"]
    chat = items[2]
    assert chat["agent"] == {"id": agent_id, "name": "Kim"}
    assert (chat["topic"], chat["outcome"], chat["open"]) == ("wrong charge", "unresolved", True)
    assert [m["topic"] for m in pop["open_matters"]] == ["wrong charge"]
    assert pop["intents"][0] == {
        "intent": "billing",
        "count": 2,
        "last_at": items[2]["occurred_at"],
    }

    journey = pop["journey"]
    assert journey["menus"][0]["promoted"] == ["billing"]
    assert journey["menus"][0]["reasons"]["billing"].startswith("3 billing contacts")
    assert [o["key"] for o in journey["menus"][0]["order"]] == ["1", "2"]
    inputs = {i["field"]: i for i in journey["inputs"]}
    assert set(inputs) == {"account", "pin"}  # internal keys are not shown
    assert inputs["account"] == {
        "field": "account",
        "value": "99120",
        "source": "profile",
        "prefilled": True,
    }
    assert inputs["pin"]["value"] == MASK and not inputs["pin"]["prefilled"]
    assert [s["input"] for s in journey["path"] if s["node"] == "pin"] == [MASK]
    assert (journey["intent"], journey["intent_source"], journey["intent_confidence"]) == (
        "billing",
        "keys",
        1.0,
    )

    routing = pop["routing"]
    assert routing["why"] == DECISION["why"]
    assert routing["skills"] == [
        {"skill": "billing", "required": 5, "agent_level": 7},
        {"skill": "spanish", "required": None, "agent_level": None},
    ]
    assert routing["runner_up"] == "2" and routing["rejected_by_reason"] == {"busy": 1}
    assert pop["contact"]["waited_s"] == 12.5 and pop["kind"] == "call"


async def test_the_pop_of_an_unknown_caller(store: CustomerStore) -> None:
    journey_id = await store.start_journey("call-9", "telecom", caller="+14155550111")
    pop = await build_pop(
        store, contact=_contact(None, journey_id, caller="+14155550111"), trace=None
    )
    assert pop["customer"] is None
    assert pop["unknown"] == {"caller": "+14155550111", "actions": ["create", "link"]}
    assert pop["timeline"] == {"items": [], "next_cursor": None}
    assert pop["journey"]["recorded"] is False  # the IVR has not written its path yet
    assert pop["routing"]["why"] is None


async def test_a_long_timeline_comes_in_pages(sqlite_store: CustomerStore) -> None:
    customer = await sqlite_store.create_customer("Busy Bee")
    for n in range(60):
        await sqlite_store.record_interaction(
            customer.id, "email", "in", occurred_at=T0 + timedelta(minutes=n), topic=f"#{n}"
        )
    pop = await build_pop(sqlite_store, contact=_contact(customer.id, None), trace=None)
    topics = [i["topic"] for i in pop["timeline"]["items"]]
    assert topics == [f"#{n}" for n in range(59, 9, -1)]
    assert pop["timeline"]["next_cursor"] is not None
    rest = await sqlite_store.timeline(customer.id, before=pop["timeline"]["next_cursor"])
    assert [i.topic for i in rest.items] == [f"#{n}" for n in range(9, -1, -1)]


async def test_callbacks_and_chats_say_what_they_are(sqlite_store: CustomerStore) -> None:
    contact = _contact(None, None, kind="callback", reason="asked from the IVR after 4 min")
    pop = await build_pop(sqlite_store, contact=contact, trace=None)
    assert pop["kind"] == "callback" and pop["contact"]["reason"].startswith("asked")
    with pytest.raises(ValueError, match="kind"):
        await build_pop(sqlite_store, contact=_contact(None, None, kind="fax"), trace=None)
    with pytest.raises(ValueError, match="call_id"):
        await build_pop(sqlite_store, contact=_contact(None, None, call_id=""), trace=None)


def test_the_router_offer_becomes_a_contact() -> None:
    offered = {
        "id": "1741.5",
        "service": "billing",
        "customer_id": "12",
        "caller": "+14155550100",
        "wait_s": 30.0,
        "journey_id": 4,
        "why": DECISION,
        "agent": "3",
        "facts": {
            "call_id": "1741.5",
            "customer_id": 12,
            "journey_id": 4,
            "skills": ["billing"],
            "priority": 7,
            "intent": "billing",
            "language": "en",
        },
    }
    contact = contact_from_offer(offered, now=1_772_356_530.0)
    assert contact["call_id"] == "1741.5" and contact["customer_id"] == 12
    assert contact["entered_at"] == "2026-03-01T09:15:00+00:00"
    assert (contact["waited_s"], contact["kind"], contact["skills"]) == (30.0, "call", ["billing"])


async def test_agent_names_are_cached_for_a_while(sqlite_store: CustomerStore) -> None:
    kim = await make_agent(sqlite_store, "kim")
    lee = await make_agent(sqlite_store, "lee")
    now = [0.0]
    cache = AgentCache(sqlite_store, ttl_s=60, clock=lambda: now[0])
    assert await cache.names({kim.id, lee.id, 999}) == {kim.id: "Kim", lee.id: "Lee"}
    await sqlite_store.set_agent_skills(kim.id, {"tv": 3})
    assert (await cache.get(kim.id)).skills == {"billing": 5}  # type: ignore[union-attr]
    now[0] = 61.0
    assert (await cache.get(kim.id)).skills == {"tv": 3}  # type: ignore[union-attr]
    many = [await make_agent(sqlite_store, f"x{n}") for n in range(5)]
    assert set(await cache.names({a.id for a in many})) == {a.id for a in many}  # one pass


async def test_the_router_reservation_pops_on_the_agent_desktop(store: CustomerStore) -> None:
    customer_id, journey_id, agent_id = await seed_customer(store)
    hub = PopHub()
    listener = Listener()
    await hub.watch(listener, agent_id)
    listen = bus_listener(store, hub, clock=lambda: 1_772_356_530.0)
    offered = {
        "id": "call-7",
        "service": "billing",
        "wait_s": 8.0,
        "agent": str(agent_id),
        "why": DECISION,
        "facts": {"call_id": "call-7", "customer_id": customer_id, "journey_id": journey_id},
    }
    await listen("routing.offered", offered)
    message = listener.queue.get_nowait()
    pop = message["pop"]
    assert message["type"] == "pop" and pop["agent_id"] == agent_id
    assert pop["customer"]["name"] == "Ann Smith" and len(pop["timeline"]["items"]) == 4
    assert pop["routing"]["skills"][0] == {"skill": "billing", "required": 5, "agent_level": 7}
    assert (await hub.store.contact("call-7"))["customer_id"] == customer_id
    await listen("routing.agent", {"id": str(agent_id), "state": "wrap_up", "wrap_up_left_s": 20})
    state = listener.queue.get_nowait()
    assert state["type"] == "state" and state["state"]["wrap_up_left_s"] == 20
    await listen("ivr.transfer", {"call_id": "other"})  # not the desktop's business
    assert listener.queue.empty()


def test_a_spoken_choice_shows_what_the_caller_said_and_how_sure() -> None:
    from omnivox.desktop.popview import _step

    step = {
        "node": "main_menu",
        "kind": "menu",
        "input": "speech:billing",
        "detail": {"result": "choice", "confidence": 0.91, "transcript": "pay my bill"},
    }
    shown = _step(step)
    assert shown is not None
    assert (shown["input"], shown["transcript"], shown["confidence"]) == (
        "speech:billing",
        "pay my bill",
        0.91,
    )


def test_a_channel_switch_shows_the_choice_and_how_it_was_made() -> None:
    from omnivox.desktop.popview import _step

    step = {
        "node": "billing_offer",
        "kind": "channel_switch",
        "input": "speech:callback",
        "detail": {
            "result": "channel_switch",
            "choice": "callback",
            "via": "speech",
            "transcript": "call me back tomorrow",
            "confidence": 0.8,
        },
    }
    shown = _step(step)
    assert shown is not None
    assert (shown["choice"], shown["via"], shown["transcript"]) == (
        "callback",
        "speech",
        "call me back tomorrow",
    )
