"""PopHub delivery: in-process and through a real Redis shared by two hubs (two instances)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from omnivox.desktop import PopHub
from omnivox.desktop.hub import Listener
from tests.desktop_helpers import redis_prefix, sample_pop


async def _next(listener: Listener, wait: float = 3.0) -> dict[str, Any]:
    return await asyncio.wait_for(listener.queue.get(), wait)


@contextlib.asynccontextmanager
async def two_hubs() -> AsyncIterator[tuple[PopHub, PopHub, Any, str]]:
    async with redis_prefix() as (redis, prefix):
        a, b = PopHub(redis, prefix=prefix), PopHub(redis, prefix=prefix)
        await a.start()
        await b.start()
        try:
            yield a, b, redis, prefix
        finally:
            await a.close()
            await b.close()


async def test_in_process_push_reaches_the_watching_listener_and_stays_pending() -> None:
    hub = PopHub()
    mine, other = Listener(), Listener()
    await hub.watch(mine, 1)
    await hub.watch(other, 2)
    sent = await hub.push(1, sample_pop("c1"))
    message = await _next(mine)
    assert message["type"] == "pop" and message["pop"]["id"] == sent["id"]
    assert message["pop"]["agent_id"] == 1 and message["pop"]["contact"]["call_id"] == "c1"
    assert other.queue.empty()
    assert [p["id"] for p in await hub.store.pending(1)] == [sent["id"]]
    assert await hub.ack(1, sent["id"])
    assert await hub.store.pending(1) == []
    assert not await hub.ack(1, sent["id"])
    assert (await hub.store.contact("c1"))["agent_id"] == 1


async def test_pops_sent_while_nobody_listens_arrive_on_watch_in_order() -> None:
    hub = PopHub()
    first = await hub.push(5, sample_pop("c1"))
    second = await hub.push(5, sample_pop("c2"))
    listener = Listener()
    await hub.watch(listener, 5)
    got = [(await _next(listener))["pop"]["id"] for _ in range(2)]
    assert got == [first["id"], second["id"]]
    await hub.unwatch(listener)
    assert hub.watched() == set()


async def test_a_slow_listener_is_ended_not_grown_without_bound() -> None:
    hub = PopHub()
    listener = Listener()
    await hub.watch(listener, 1)
    for n in range(listener.queue.maxsize + 1):
        await hub.notify(1, {"type": "state", "n": n})
    assert listener.ended is not None and "too slow" in listener.ended


async def test_bad_agent_ids_are_refused() -> None:
    hub = PopHub()
    for bad in (True, "x", None, 1.5):
        with pytest.raises(ValueError, match="agent_id"):
            await hub.push(bad, sample_pop())  # type: ignore[arg-type]


@pytest.mark.redis
async def test_a_pop_pushed_on_one_instance_reaches_the_socket_on_another() -> None:
    async with two_hubs() as (a, b, _redis, _prefix):
        listener = Listener()
        await b.watch(listener, 42)
        sent = await a.push(42, sample_pop("call-x"))
        message = await _next(listener)
        assert message["pop"]["id"] == sent["id"] and message["agent"] == 42
        assert [p["id"] for p in await b.store.pending(42)] == [sent["id"]]
        assert await b.ack(42, sent["id"])
        assert await a.store.pending(42) == []
        assert (await b.store.contact("call-x"))["agent_id"] == 42


@pytest.mark.redis
async def test_pending_pops_are_redelivered_to_a_socket_on_any_instance() -> None:
    async with two_hubs() as (a, b, redis, prefix):
        sent = await a.push(7, sample_pop("c7"))
        assert await redis.ttl(f"{prefix}pending:7") > 0  # pending pops do not live for ever
        listener = Listener()
        await b.watch(listener, 7)
        message = await _next(listener)
        assert message["pop"]["id"] == sent["id"] and message["redelivered"] is True


@pytest.mark.redis
async def test_unwatched_agents_are_unsubscribed() -> None:
    async with two_hubs() as (a, b, redis, prefix):
        listener = Listener()
        await b.watch(listener, 9)
        assert await redis.pubsub_numsub(f"{prefix}agent:9") == [(f"{prefix}agent:9".encode(), 1)]
        await b.unwatch(listener, 9)
        for _ in range(50):
            if (await redis.pubsub_numsub(f"{prefix}agent:9"))[0][1] == 0:
                break
            await asyncio.sleep(0.02)
        assert (await redis.pubsub_numsub(f"{prefix}agent:9"))[0][1] == 0
        await a.push(9, sample_pop())
        assert listener.queue.empty()


@pytest.mark.redis
async def test_a_session_ended_on_one_instance_ends_its_sockets_everywhere() -> None:
    async with two_hubs() as (a, b, _redis, _prefix):
        kept, ended = Listener(session="s-keep"), Listener(session="s-out")
        await b.watch(kept, 1)
        await b.watch(ended, 1)
        await a.end_session("s-out")
        assert await asyncio.wait_for(ended.ended_wait(), 3) == "signed out"
        assert kept.ended is None


@pytest.mark.redis
async def test_the_subscription_comes_back_after_redis_drops_it() -> None:
    async with two_hubs() as (a, b, redis, prefix):
        listener = Listener()
        await b.watch(listener, 3)
        name = f"omnivox-test-{prefix}"
        clients = await redis.client_list(_type="pubsub")
        ours = [c["id"] for c in clients if c.get("name") == name]
        assert len(ours) == 2  # one subscription per hub
        for client_id in ours:
            await redis.client_kill_filter(_id=client_id)
        missed = await a.push(3, sample_pop("during-outage"))  # may be published to nobody
        message = await _next(listener, wait=10)  # redelivered from pending after resubscribe
        assert message["pop"]["id"] == missed["id"]
        after = await a.push(3, sample_pop("after"))
        seen = {message["pop"]["id"]}
        while after["id"] not in seen:
            seen.add((await _next(listener, wait=10))["pop"]["id"])
