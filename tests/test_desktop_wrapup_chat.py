"""One timeline entry per contact: a chat's wrap-up completes the chat's own interaction
(disposition, notes, topic, outcome) instead of adding a second one; a call's wrap-up is its
one voice entry. Read back through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from customers.store import CustomerStore
from ivr.scenario import ScenarioSet
from omnivox.api import SCOPES, create_api_key
from omnivox.desktop.pop import build_pop
from tests.desktop_helpers import make_agent
from tests.switch_helpers import PHONE, ChatWorld, chat_world

ROOT = Path(__file__).resolve().parent.parent
WRAPUP = {
    "disposition": "refund_agreed",
    "notes": "Double charge confirmed; refund of 12.40 on its way.",
    "topic": "double charge",
    "outcome": "resolved",
}


@pytest.fixture
async def world(store: CustomerStore) -> AsyncIterator[ChatWorld]:
    scenarios, problems = ScenarioSet.load_dir(ROOT / "scenarios")
    assert problems == []
    async with chat_world(store, scenarios) as w:
        yield w


async def _timeline(world: ChatWorld, http: aiohttp.ClientSession, customer_id: int) -> Any:
    key = await create_api_key(world.store, "reader", SCOPES)
    async with http.get(
        world.url(f"/api/customers/{customer_id}"), headers={"Authorization": f"Bearer {key}"}
    ) as reply:
        assert reply.status == 200, await reply.text()
        return (await reply.json())["timeline"]["items"]


async def _wrapup(
    world: ChatWorld, http: aiohttp.ClientSession, headers: dict[str, str], call_id: str
) -> tuple[int, dict[str, Any]]:
    async with http.post(
        world.url("/desktop/wrapup"), json=WRAPUP | {"call_id": call_id}, headers=headers
    ) as reply:
        return reply.status, await reply.json()


async def test_a_chats_wrapup_completes_its_interaction(world: ChatWorld) -> None:
    ann = await make_agent(world.store, "ann", skills={"billing": 7})
    await world.router.add_agent(ann)
    customer = await world.store.create_customer("Ann Lee", identities=[("phone", PHONE)])
    opened = await world.open(await world.link(customer.id))
    chat_id = opened["chat_id"]
    await world.router.set_state(ann.id, "ready")
    for _ in range(100):  # the pop (and its contact record) follows the offer on the bus
        if await world.hub.store.contact(chat_id) is not None:
            break
        await asyncio.sleep(0.05)
    headers = await world.sign_in("ann")
    async with aiohttp.ClientSession() as http:
        async with http.post(
            world.url(f"/desktop/chats/{chat_id}/messages"), json={"text": "Hello"}, headers=headers
        ) as reply:
            assert reply.status == 201
        async with http.post(world.url(f"/desktop/chats/{chat_id}/end"), headers=headers) as r:
            assert r.status == 200
            chat_entry = (await r.json())["interaction"]["id"]

        status, saved = await _wrapup(world, http, headers, chat_id)
        assert status == 201, saved
        assert saved["duplicate"] is False and saved["interaction"]["id"] == chat_entry
        status, again = await _wrapup(world, http, headers, chat_id)
        assert (status, again["duplicate"], again["interaction"]["id"]) == (200, True, chat_entry)

        items = await _timeline(world, http, customer.id)
    assert [(i["id"], i["channel"]) for i in items] == [(chat_entry, "chat")]  # one entry
    chat = items[0]
    assert (chat["topic"], chat["summary"], chat["outcome"]) == (
        "double charge",
        WRAPUP["notes"],
        "resolved",
    )
    assert chat["agent"]["id"] == ann.id and chat["open"] is False
    assert chat["data"]["disposition"] == "refund_agreed" and chat["data"]["by"] == "ann"
    assert chat["data"]["chat_id"] == chat_id  # the chat's own: transcript and end kept
    assert [m["text"] for m in chat["data"]["messages"]] == ["Hello"]
    assert chat["data"]["ended_by"] == "ann"
    assert chat["journey"]["id"] is not None  # linked to the call it continues


async def test_a_calls_wrapup_is_its_one_voice_entry(world: ChatWorld) -> None:
    """The IVR writes the journey, not an interaction: the call's entry is the wrap-up."""
    ann = await make_agent(world.store, "ann")
    customer = await world.store.create_customer("Carl", identities=[("phone", PHONE)])
    journey = await world.store.start_journey("call-7", "telecom", customer_id=customer.id)
    contact = {"call_id": "call-7", "journey_id": journey, "customer_id": customer.id}
    await world.hub.push(ann.id, await build_pop(world.store, contact=contact, trace=None))
    headers = await world.sign_in("ann")
    async with aiohttp.ClientSession() as http:
        status, saved = await _wrapup(world, http, headers, "call-7")
        assert status == 201, saved
        status, _ = await _wrapup(world, http, headers, "call-7")
        assert status == 200
        items = await _timeline(world, http, customer.id)
    assert [(i["id"], i["channel"]) for i in items] == [(saved["interaction"]["id"], "voice")]
    assert (
        items[0]["journey"]["id"] == journey and items[0]["data"]["disposition"] == "refund_agreed"
    )
