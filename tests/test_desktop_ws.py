"""The agent websocket on a real server: authentication, who may watch whom, pushed pops,
acknowledgements, redelivery on reconnect, logout, and two instances sharing one Redis."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import WSMsgType, WSServerHandshakeError

from customers.store import CustomerStore
from omnivox.auth.tokens import TokenSigner
from tests.desktop_helpers import make_agent, next_of, redis_prefix, running, sample_pop


async def _team(store: CustomerStore) -> dict[str, int]:
    ids = {}
    for login, role, team in (
        ("ann", "agent", "north"),
        ("bob", "agent", "north"),
        ("sue", "supervisor", "north"),
        ("tom", "supervisor", "south"),
        ("zed", "agent", "south"),
    ):
        ids[login] = (await make_agent(store, login, role=role, team=team)).id
    return ids


async def test_a_socket_needs_a_valid_session(sqlite_store: CustomerStore) -> None:
    ids = await _team(sqlite_store)
    async with running(sqlite_store) as desk:
        with pytest.raises(WSServerHandshakeError) as none:
            await desk.client.ws_connect("/ws/agent")
        assert none.value.status == 401
        forged, _ = TokenSigner(b"a-secret-that-is-not-ours-!!!!!!").issue(
            ids["ann"], "ann", "admin", None
        )
        with pytest.raises(WSServerHandshakeError) as bad:
            await desk.socket(forged)
        assert bad.value.status == 401


async def test_the_agent_gets_their_pop_and_acknowledges_it(sqlite_store: CustomerStore) -> None:
    ids = await _team(sqlite_store)
    async with running(sqlite_store) as desk:
        ws = await desk.socket(await desk.token("ann"))
        hello = await next_of(ws, "hello")
        assert hello["agent"] == ids["ann"] and hello["principal"]["login"] == "ann"
        other = await desk.socket(await desk.token("bob"))
        await next_of(other, "hello")
        await asyncio.sleep(0.05)  # both sockets are watching
        sent = await desk.hub.push(ids["ann"], sample_pop("c1"))
        message = await next_of(ws, "pop")
        assert message["pop"]["id"] == sent["id"]
        await ws.send_json({"type": "ack", "id": sent["id"], "agent": ids["ann"]})
        assert (await next_of(ws, "acked"))["removed"] is True
        assert await desk.hub.store.pending(ids["ann"]) == []
        with pytest.raises(asyncio.TimeoutError):
            await other.receive_json(timeout=0.3)  # bob saw nothing of ann's
        await ws.close()
        await other.close()


async def test_a_pop_sent_while_the_socket_was_down_arrives_on_reconnect(
    sqlite_store: CustomerStore,
) -> None:
    ids = await _team(sqlite_store)
    async with running(sqlite_store) as desk:
        token = await desk.token("ann")
        ws = await desk.socket(token)
        await next_of(ws, "hello")
        first = await desk.hub.push(ids["ann"], sample_pop("c1"))
        assert (await next_of(ws, "pop"))["pop"]["id"] == first["id"]
        await ws.close()  # the browser went away before acknowledging
        second = await desk.hub.push(ids["ann"], sample_pop("c2"))
        ws = await desk.socket(token)
        got = [(await next_of(ws, "pop"))["pop"]["id"] for _ in range(2)]
        assert got == [first["id"], second["id"]]
        await ws.close()


async def test_foreign_and_forged_subscriptions_are_refused(sqlite_store: CustomerStore) -> None:
    ids = await _team(sqlite_store)
    async with running(sqlite_store) as desk:
        ann = await desk.token("ann")
        for target in (ids["bob"], ids["zed"], 99999):
            with pytest.raises(WSServerHandshakeError) as refused:
                await desk.socket(ann, agent=target)
            assert refused.value.status == 403
        with pytest.raises(WSServerHandshakeError) as bad:
            await desk.socket(ann, agent="abc")  # type: ignore[arg-type]
        assert bad.value.status == 422
        ws = await desk.socket(ann)
        await next_of(ws, "hello")
        await ws.send_json({"type": "subscribe", "agent": ids["bob"]})
        refused_msg = await next_of(ws, "refused")
        assert refused_msg["agent"] == ids["bob"] and "own pops" in refused_msg["reason"]
        await desk.hub.push(ids["bob"], sample_pop("bobs"))
        with pytest.raises(asyncio.TimeoutError):
            await next_of(ws, "pop", wait=0.3)
        tom = await desk.socket(await desk.token("tom"))
        await next_of(tom, "hello")
        await tom.send_json({"type": "subscribe", "agent": ids["ann"]})
        assert "not in your team" in (await next_of(tom, "refused"))["reason"]
        await ws.close()
        await tom.close()


async def test_a_supervisor_watches_a_team_member(sqlite_store: CustomerStore) -> None:
    ids = await _team(sqlite_store)
    async with running(sqlite_store) as desk:
        sue = await desk.socket(await desk.token("sue"), agent=ids["ann"])
        assert (await next_of(sue, "hello"))["agent"] == ids["ann"]
        await sue.send_json({"type": "subscribe", "agent": ids["bob"]})
        assert (await next_of(sue, "subscribed"))["agent"] == ids["bob"]
        to_ann = await desk.hub.push(ids["ann"], sample_pop("a1"))
        to_bob = await desk.hub.push(ids["bob"], sample_pop("b1"))
        got = {(await next_of(sue, "pop"))["pop"]["id"] for _ in range(2)}
        assert got == {to_ann["id"], to_bob["id"]}
        await sue.send_json({"type": "ack", "id": to_ann["id"], "agent": ids["ann"]})
        assert (await next_of(sue, "acked"))["removed"] is False  # only ann settles her pops
        assert [p["id"] for p in await desk.hub.store.pending(ids["ann"])] == [to_ann["id"]]
        await sue.close()


async def test_bad_messages_get_errors_not_crashes(sqlite_store: CustomerStore) -> None:
    await _team(sqlite_store)
    async with running(sqlite_store) as desk:
        ws = await desk.socket(await desk.token("ann"))
        await next_of(ws, "hello")
        await ws.send_str("not json")
        assert (await next_of(ws, "error"))["error"] == "expected a JSON object"
        await ws.send_json({"type": "launch"})
        assert "unknown message type" in (await next_of(ws, "error"))["error"]
        await ws.send_json({"type": "ack"})
        assert "pop id" in (await next_of(ws, "error"))["error"]
        await ws.send_json({"type": "ping"})
        await next_of(ws, "pong")
        await ws.send_bytes(b"\x00")
        closing = await ws.receive(timeout=3)
        assert closing.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
        assert ws.close_code == 1008


async def test_logout_closes_the_socket_with_4401(sqlite_store: CustomerStore) -> None:
    await _team(sqlite_store)
    async with running(sqlite_store) as desk:
        token = await desk.token("ann")
        ws = await desk.socket(token)
        await next_of(ws, "hello")
        await desk.client.post("/auth/logout", headers={"Authorization": f"Bearer {token}"})
        closing = await ws.receive(timeout=3)
        assert closing.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
        assert ws.close_code == 4401


@pytest.mark.redis
async def test_two_instances_on_one_redis(sqlite_store: CustomerStore) -> None:
    ids = await _team(sqlite_store)
    async with (
        redis_prefix() as (redis, prefix),
        running(sqlite_store, redis=redis, prefix=prefix) as a,
        running(sqlite_store, redis=redis, prefix=prefix) as b,
    ):
        token = await a.token("ann")  # signed in on A, the socket lands on B
        ws = await b.socket(token)
        await next_of(ws, "hello")
        sent = await a.hub.push(ids["ann"], sample_pop("via-a"))
        assert (await next_of(ws, "pop"))["pop"]["id"] == sent["id"]
        await ws.close()
        missed = await a.hub.push(ids["ann"], sample_pop("while-down"))
        ws = await a.socket(token)  # reconnects to the other instance
        got = [(await next_of(ws, "pop"))["pop"]["id"] for _ in range(2)]
        assert got == [sent["id"], missed["id"]]
        for pop_id in got:
            await ws.send_json({"type": "ack", "id": pop_id, "agent": ids["ann"]})
            await next_of(ws, "acked")
        assert await b.hub.store.pending(ids["ann"]) == []
        await b.client.post("/auth/logout", headers={"Authorization": f"Bearer {token}"})
        closing = await ws.receive(timeout=3)
        assert closing.type in (WSMsgType.CLOSE, WSMsgType.CLOSED) and ws.close_code == 4401
