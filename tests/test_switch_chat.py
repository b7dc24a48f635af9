"""The conversation of a chat continuing a call, over HTTP: the customer waits with a place in
the queue, the router offers the chat to an agent, both sides write (each message stored with
its seq, the agent told over the desktop socket, the customer over server-sent events), only
the chat's agent or a supervisor of their team may read or write, bad messages are 400, and
ending the chat closes its interaction on the customer's timeline and puts the agent in
wrap-up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from customers.store import CustomerStore
from ivr.scenario import ScenarioSet
from omnivox.switch.feed import ChatFeed
from omnivox.switch.position import queue_place
from routing.core.model import Service
from tests.desktop_helpers import make_agent, next_of, redis_prefix
from tests.switch_helpers import PHONE, ChatWorld, chat_world, next_event, sse

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def scenarios() -> ScenarioSet:
    loaded, problems = ScenarioSet.load_dir(ROOT / "scenarios")
    assert problems == []
    return loaded


@pytest.fixture
async def world(store: CustomerStore, scenarios: ScenarioSet) -> AsyncIterator[ChatWorld]:
    async with chat_world(store, scenarios) as w:
        yield w


async def _customer(store: CustomerStore) -> int:
    return (await store.create_customer("Ann Lee", identities=[("phone", PHONE)])).id


async def _offered_chat(world: ChatWorld) -> tuple[str, dict[str, Any], Any]:
    """Ann (team north) is ready; a customer opens a chat, which is offered to Ann."""
    ann = await make_agent(world.store, "ann", skills={"billing": 7})
    await world.router.add_agent(ann)
    token = await world.link(await _customer(world.store))
    opened = await world.open(token)
    await world.router.set_state(ann.id, "ready")
    assert await world.service.room.agent_of(opened["chat_id"]) == ann.id
    return token, opened, ann


def view(cid: str, phase: str, entered: float, **extra: Any) -> dict[str, Any]:
    return {"id": cid, "service": "billing", "phase": phase, "entered_at": entered} | extra


def test_queue_place_follows_the_routers_order() -> None:
    services = {"billing": Service("billing"), "tv": Service("tv")}
    views = [
        view("a", "waiting", 10.0),
        view("me", "waiting", 20.0),
        view("b", "waiting", 30.0, priority=2),  # two levels up: 120 s ahead of a later wait
        view("c", "waiting", 5.0, service="tv"),  # another queue
        view("d", "active", 1.0, agent_id="7"),
        view("e", "waiting", 40.0),
    ]
    assert queue_place(views, "me", services, 100.0) == {
        "phase": "waiting",
        "position": 3,
        "waiting": 4,
    }
    assert queue_place(views, "a", services, 100.0)["position"] == 2
    assert queue_place(views, "b", services, 100.0)["position"] == 1
    assert queue_place(views, "d", services, 100.0) == {"phase": "active", "agent_id": "7"}
    assert queue_place(views, "gone", services, 100.0) == {"phase": "none"}
    vip = [view("me", "waiting", 20.0), view("v", "waiting", 90.0, vip=True)]
    assert queue_place(vip, "me", services, 100.0)["position"] == 2  # vip_lift 2 levels


async def test_feed_wakes_only_the_streams_of_that_chat() -> None:
    feed = ChatFeed()
    one, two = feed.ticket("chat-1"), feed.ticket("chat-2")
    feed.touch("chat-1")
    assert await feed.wait("chat-1", one, 0.5) is True and one.messages is True
    assert await feed.wait("chat-2", two, 0.05) is False and two.messages is False
    assert feed.waiting() == 0  # a wait that ends drops its ticket
    # a routing change wakes every stream for its place only; a message written before the
    # stream resumes still marks its ticket
    three, four = feed.ticket("chat-3"), feed.ticket("chat-4")
    feed.touch_all()
    feed.touch("chat-4")
    assert await feed.wait("chat-3", three, 0.5) is True and three.messages is False
    assert await feed.wait("chat-4", four, 0.5) is True and four.messages is True
    feed.close()
    assert feed.closed and feed.waiting() == 0


async def test_waiting_customer_sees_the_place_then_both_sides_write(world: ChatWorld) -> None:
    ann = await make_agent(world.store, "ann", skills={"billing": 7})
    await world.router.add_agent(ann)
    customer_id = await _customer(world.store)
    # another caller is already waiting for billing
    await world.router.queue_call({"call_id": "voice-1", "service": "billing", "priority": 5})
    token = await world.link(customer_id)
    opened = await world.open(token)
    chat_id, session = opened["chat_id"], opened["session"]
    assert opened["routed"] is True

    async with aiohttp.ClientSession() as http:
        stream = await http.get(world.url(f"/api/continuations/{token}/events?session={session}"))
        assert stream.status == 200 and stream.content_type == "text/event-stream"
        events = sse(stream)
        assert await next_event(events, "queue") == {
            "phase": "waiting",
            "position": 2,
            "waiting": 2,
        }
        await world.router.end_contact("voice-1")  # the caller ahead hung up
        assert await next_event(events, "queue") == {
            "phase": "waiting",
            "position": 1,
            "waiting": 1,
        }

        headers = await world.sign_in("ann")
        socket = await http.ws_connect(world.url("/ws/agent"), headers=headers)
        await world.router.set_state(ann.id, "ready")  # the chat is offered to Ann at once
        pop = await next_of(socket, "pop")
        assert pop["pop"]["contact"]["call_id"] == chat_id
        assert await next_event(events, "queue") == {"phase": "active"}  # no staff id shown

        # the customer writes: stored, Ann's desktop hears it
        reply = await http.post(
            world.url(f"/api/continuations/{token}/messages"),
            json={"text": "  I was charged twice.  ", "session": session},
        )
        assert reply.status == 201
        mine = (await reply.json())["message"]
        assert mine["seq"] == 1 and mine["text"] == "I was charged twice."
        told = await next_of(socket, "chat_message")
        assert told["chat_id"] == chat_id and told["message"] == mine
        assert await next_event(events, "message") == mine

        # Ann reads the conversation and replies; the customer's stream gets the reply
        url = world.url(f"/desktop/chats/{chat_id}")
        async with http.get(url, headers=headers) as got:
            assert got.status == 200
            body = await got.json()
        assert [m["text"] for m in body["messages"]] == ["I was charged twice."]
        assert body["ended"] is False and body["agent_id"] == ann.id
        async with http.post(
            url + "/messages", json={"text": "Refund is on its way."}, headers=headers
        ) as sent:
            assert sent.status == 201
            answer = (await sent.json())["message"]
        assert answer | {"at": None} == {
            "from": "agent",
            "text": "Refund is on its way.",
            "agent_id": ann.id,
            "name": "Ann",
            "seq": 2,
            "at": None,
        }
        assert await next_event(events, "message") == {
            k: v for k, v in answer.items() if k != "agent_id"
        }
        assert (await next_of(socket, "chat_message"))["message"] == answer

        # a reload: the stream from the start gives the whole conversation, in order
        again = await http.get(world.url(f"/api/continuations/{token}/events?session={session}"))
        replay = sse(again)
        texts = [(await next_event(replay, "message"))["text"] for _ in range(2)]
        assert texts == ["I was charged twice.", "Refund is on its way."]
        again.close()

        # Ann ends the chat: closed on the timeline with its transcript, Ann in wrap-up
        async with http.post(url + "/end", headers=headers) as done:
            assert done.status == 200
            ended = await done.json()
        assert ended["ended"] is True and ended["interaction"]["channel"] == "chat"
        await next_event(events, "ended")
        assert (await next_of(socket, "chat_ended"))["chat_id"] == chat_id
        stream.close()
        late = await http.post(
            world.url(f"/api/continuations/{token}/messages"),
            json={"text": "one more thing", "session": session},
        )
        assert late.status == 409 and (await late.json())["error"] == "chat_ended"
        async with http.post(url + "/messages", json={"text": "hi"}, headers=headers) as late:
            assert late.status == 409
        await socket.close()

    page = await world.store.timeline(customer_id)
    chat = next(i for i in page.items if i.channel == "chat")
    assert chat.open is False and chat.agent_id == ann.id
    assert chat.data["ended_by"] == "ann" and chat.data["chat_id"] == chat_id
    assert [(m["from"], m["seq"]) for m in chat.data["messages"]] == [("customer", 1), ("agent", 2)]
    assert chat.summary == "I was charged twice."
    assert (await world.router.get_state(ann.id))["state"] == "wrap_up"
    assert [c["id"] for c in await world.router.contacts()] == []


async def test_only_the_chats_agent_or_their_supervisor_may_read_or_write(
    world: ChatWorld,
) -> None:
    await make_agent(world.store, "bob", skills={"billing": 7})  # same team, another agent
    await make_agent(world.store, "sue", role="supervisor")  # Ann's team (north)
    await make_agent(world.store, "zed", role="supervisor", team="south")
    _, opened, _ = await _offered_chat(world)
    url = world.url(f"/desktop/chats/{opened['chat_id']}")
    async with aiohttp.ClientSession() as http:
        for login in ("bob", "zed"):
            headers = await world.sign_in(login)
            for method, path, body in (("POST", "/messages", {"text": "hi"}), ("GET", "", None)):
                async with http.request(method, url + path, json=body, headers=headers) as reply:
                    assert reply.status == 403, login
                    refused = await reply.json()
                assert refused["error"] == "forbidden"
                assert "assigned to another agent" in refused["message"]
            async with http.post(url + "/end", headers=headers) as reply:
                assert reply.status == 403
        async with http.post(url + "/messages", json={"text": "hi"}) as reply:
            assert reply.status == 401  # not signed in
        sue = await world.sign_in("sue")
        async with http.post(
            url + "/messages", json={"text": "Supervisor here."}, headers=sue
        ) as reply:
            assert reply.status == 201
            assert (await reply.json())["message"]["name"] == "Sue"
        async with http.get(world.url("/desktop/chats/chat-0000"), headers=sue) as reply:
            assert reply.status == 404 and (await reply.json())["field"] == "chat_id"
    # nothing the refused agents sent was stored
    record = await world.service.room.find(opened["chat_id"])
    snap = await world.service.room.snapshot(record)
    assert [m["text"] for m in snap["messages"]] == ["Supervisor here."]


async def test_a_chat_not_offered_yet_has_no_agent_to_write(world: ChatWorld) -> None:
    await make_agent(world.store, "ann", skills={"billing": 7})  # not ready: the chat waits
    opened = await world.open(await world.link(await _customer(world.store)))
    async with aiohttp.ClientSession() as http:
        headers = await world.sign_in("ann")
        url = world.url(f"/desktop/chats/{opened['chat_id']}/messages")
        async with http.post(url, json={"text": "hello?"}, headers=headers) as reply:
            assert reply.status == 403
            assert "not been offered" in (await reply.json())["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   \n "}, "text"),
        ({}, "text"),
        ({"text": 42}, "text"),
        ({"text": "x" * 2001}, "text"),
        ([1, 2], "body"),
    ],
)
async def test_bad_messages_are_400_naming_the_field(
    world: ChatWorld, body: Any, field: str
) -> None:
    token, opened, _ = await _offered_chat(world)
    async with aiohttp.ClientSession() as http:
        headers = await world.sign_in("ann")
        url = world.url(f"/desktop/chats/{opened['chat_id']}/messages")
        async with http.post(url, json=body, headers=headers) as reply:
            assert reply.status == 400
            refused = await reply.json()
        assert refused["field"] == field and refused["error"] == "invalid"
        assert refused["message"].startswith(field)
        if field == "text":  # the customer's side says the same
            customer = {**body, "session": opened["session"]}
            async with http.post(
                world.url(f"/api/continuations/{token}/messages"), json=customer
            ) as reply:
                assert reply.status == 400 and (await reply.json())["field"] == "text"
        async with http.post(url, data=b"{not json", headers=headers) as reply:
            assert reply.status == 400 and (await reply.json())["field"] == "body"
    snap = await world.service.room.snapshot(await world.service.room.find(opened["chat_id"]))
    assert snap["messages"] == []


async def test_the_stream_refuses_a_stranger(world: ChatWorld) -> None:
    token, opened, _ = await _offered_chat(world)
    async with aiohttp.ClientSession() as http:
        async with http.get(world.url(f"/api/continuations/{token}/events?session=nope")) as reply:
            assert reply.status == 403 and (await reply.json())["error"] == "bad_session"
        async with http.get(world.url(f"/api/continuations/{token[:-2]}zz/events")) as reply:
            assert reply.status == 404


@pytest.mark.redis
async def test_two_instances_share_the_chat_through_redis_and_the_store(
    sqlite_store: CustomerStore, scenarios: ScenarioSet
) -> None:
    """The customer is on instance A (whose router offers the chat); the agent's desktop is on
    instance B. A customer message reaches the agent through Redis; the agent's reply, written
    on B, reaches the customer's stream on A from the store."""
    async with (
        redis_prefix() as (redis, prefix),
        chat_world(sqlite_store, scenarios, redis=redis, prefix=prefix) as a,
        chat_world(sqlite_store, scenarios, redis=redis, prefix=prefix, route=False) as b,
    ):
        ann = await make_agent(sqlite_store, "ann", skills={"billing": 7})
        await a.router.add_agent(ann)
        token = await a.link(await _customer(sqlite_store))
        opened = await a.open(token)
        chat_id, session = opened["chat_id"], opened["session"]
        async with aiohttp.ClientSession() as http:
            headers = await b.sign_in("ann")
            socket = await http.ws_connect(b.url("/ws/agent"), headers=headers)
            await next_of(socket, "hello")
            await a.router.set_state(ann.id, "ready")
            assert (await next_of(socket, "pop"))["pop"]["contact"]["call_id"] == chat_id
            stream = await http.get(a.url(f"/api/continuations/{token}/events?session={session}"))
            events = sse(stream)
            assert (await next_event(events, "queue"))["phase"] == "active"

            await http.post(
                a.url(f"/api/continuations/{token}/messages"),
                json={"text": "Hello from A", "session": session},
            )
            told = await next_of(socket, "chat_message")
            assert told["chat_id"] == chat_id and told["message"]["text"] == "Hello from A"
            assert (await next_event(events, "message"))["text"] == "Hello from A"

            url = b.url(f"/desktop/chats/{chat_id}/messages")
            async with http.post(url, json={"text": "Hello from B"}, headers=headers) as sent:
                assert sent.status == 201
            got = await next_event(events, "message", wait=5.0)  # A's poll of the store
            assert got["text"] == "Hello from B" and got["from"] == "agent"
            stream.close()
            await socket.close()


async def test_shutting_down_ends_open_streams(world: ChatWorld) -> None:
    token, opened, _ = await _offered_chat(world)
    async with aiohttp.ClientSession() as http:
        stream = await http.get(
            world.url(f"/api/continuations/{token}/events?session={opened['session']}")
        )
        events = sse(stream)
        await next_event(events, "queue")
        await asyncio.wait_for(world.client.close(), 5)  # not the five-minute stream's end
        assert [name async for name, _ in events] == []
