"""Several Omnivox instances on one Redis and one PostgreSQL behind one real Asterisk 22:
calls whose IVR ran on either instance are routed without conflict (and an agent whose
desktop is connected to the other instance gets the pop), a restart of the only instance
loses no waiting caller, and a callback asked for in the IVR rings an agent first."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from customers.db import migrate
from omnivox.auth import hash_password
from omnivox.config import AMISettings, Bind, Settings
from omnivox.server import OmnivoxServer
from routing.ami import AMIClient
from tests.desktop_helpers import CHEAP
from tests.fixtures.asterisk import AsteriskService
from tests.fixtures.db import PG_URL, _pg_admin
from tests.ivr_helpers import OPEN, running_clock

pytestmark = [pytest.mark.asterisk, pytest.mark.redis, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parent.parent
TO_BILLING = "w:2^d:6^w:2^d:55556666#^w:1^d:3^w:60^h"  # billing, account, "keep waiting"
# Billing, account, then "call me back" at the busy offer (key 2 of the channel switch).
TO_CALLBACK = "w:2^d:6^w:2^d:55556666#^w:1^d:2^w:15^h"
ROUTING = """
services:
  billing:
    requires: {billing: 5}
    wrap_up_s: 1
"""


@pytest.fixture
async def shared(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    """One PostgreSQL database and one Redis key prefix for every instance of a test."""
    name = f"omnivox_t_{secrets.token_hex(6)}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    url = PG_URL.format(name=name)
    await migrate(url)
    prefix = f"omnivox:test:{secrets.token_hex(4)}:"
    routing = tmp_path / "routing.yaml"
    routing.write_text(ROUTING)
    try:
        yield {"database_url": url, "redis_prefix": prefix, "routing": routing}
    finally:
        client = aioredis.Redis()
        keys = [k async for k in client.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def settings_for(asterisk: AsteriskService, shared: dict[str, Any]) -> Settings:
    return Settings(
        database_url=shared["database_url"],
        redis_url="redis://127.0.0.1:6379/0",
        redis_prefix=shared["redis_prefix"],
        ami=AMISettings(
            asterisk.ami_host, asterisk.ami_port, asterisk.ami_user, asterisk.ami_secret
        ),
        fastagi_bind=Bind("127.0.0.1", 0),
        http_bind=Bind("127.0.0.1", 0),
        scenarios=ROOT / "scenarios",
        sounds=asterisk.sounds_dir,
        routing=shared["routing"],
        secret_key="scale-out-test-secret-0123456789",
    )


@pytest.fixture
async def ami(asterisk: AsteriskService) -> AsyncIterator[AMIClient]:
    client = AMIClient(asterisk.ami_host, asterisk.ami_port, asterisk.ami_user, asterisk.ami_secret)
    await client.connect()
    asterisk.set_global("OMNIVOX_RING_TIMEOUT", "4")
    yield client
    await client.close()


async def place_call(ami: AMIClient, server: OmnivoxServer, script: str, caller: str) -> str:
    """A caller whose IVR runs on ``server`` (OMNIVOX_AGI set on this call only)."""
    assert server.fastagi is not None
    call_id = f"scale-{secrets.token_hex(6)}"
    await ami.originate(
        "Local/s@omnivox-ivr",
        context="caller-sim",
        exten="s",
        caller_id=f'"Caller" <{caller}>',
        variables={
            "__OMNIVOX_SCENARIO": "telecom",
            "__OMNIVOX_AGI": f"127.0.0.1:{server.fastagi.port}",
            "SIM_SCRIPT": script,
        },
        channel_id=call_id,
    )
    return call_id


async def seat(server: OmnivoxServer, login: str, endpoint: str, ready: bool = True) -> str:
    """An agent in the shared store, known to ``server``'s router, ready if asked."""
    assert server.store is not None and server.router is not None
    record = await server.store.create_agent(
        login,
        login.capitalize(),
        endpoint,
        skills={"billing": 7},
        password_hash=hash_password(f"pw-{login}", CHEAP),
    )
    await server.router.add_agent(record)
    if ready:
        await server.router.set_state(record.id, "ready")
    return str(record.id)


def topics(server: OmnivoxServer, topic: str) -> list[dict[str, Any]]:
    return [payload for name, payload in server.bus.recent if name == topic]


async def until(check: Callable[[], Any], limit_s: float = 60.0) -> Any:
    async with asyncio.timeout(limit_s):
        while not (result := check()):  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    return result


async def settled(
    server: OmnivoxServer, done: Callable[[list[dict[str, Any]]], bool], limit_s: float = 10.0
) -> list[tuple[str, str]]:
    """The router's contacts as (phase, agent) once ``done`` holds (or as they are at the limit)."""
    assert server.router is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while True:
        views = await server.router.contacts()
        if done(views) or loop.time() > deadline:
            return sorted((v["phase"], v["agent_id"]) for v in views)
        await asyncio.sleep(0.05)


def answered_by_agent(event: Any) -> bool:
    return event.get("DialStatus") == "ANSWER" and "agent-sim" in event.get("DestChannel", "")


async def test_two_instances_route_calls_from_both_without_conflict(
    asterisk: AsteriskService, ami: AMIClient, shared: dict[str, Any]
) -> None:
    async with AsyncExitStack() as stack:
        a, b = [
            await stack.enter_async_context(
                OmnivoxServer(settings_for(asterisk, shared), clock=running_clock(OPEN))
            )
            for _ in range(2)
        ]
        assert a.router is not None and b.router is not None
        assert [a.router.is_leader, b.router.is_leader].count(True) == 1
        ann = await seat(a, "ann", "Local/1001@agent-sim")
        bob = await seat(b, "bob", "Local/1002@agent-sim")
        http = await stack.enter_async_context(aiohttp.ClientSession())
        ann_desk = await desktop_socket(http, b, "ann")  # ann's browser is served by B
        answers: list[Any] = []
        ami.on_event("DialEnd", lambda e: answers.append(e) if answered_by_agent(e) else None)
        await place_call(ami, a, TO_BILLING, "+14155550161")
        await place_call(ami, b, TO_BILLING, "+14155550162")
        await until(lambda: len(answers) >= 2)

        # each IVR ran where its call was sent; each call reached one agent, once
        assert len(topics(a, "ivr.transfer")) == len(topics(b, "ivr.transfer")) == 1
        offers = topics(a, "routing.offered") + topics(b, "routing.offered")
        assert sorted(o["agent"] for o in offers) == sorted([ann, bob])
        assert len({o["id"] for o in offers}) == 2
        assert {e["DestChannel"].split(";")[0][:10] for e in answers} == {
            "Local/1001",
            "Local/1002",
        }
        # the answer reaches the routers' AMI connections as it reached ours: once they
        # have read it, both contacts are active, each with its own agent
        phases = await settled(a, lambda views: all(v["phase"] == "active" for v in views))
        assert phases == [("active", ann), ("active", bob)]
        # whichever instance decided, ann's pop reached her socket on B, with her call
        [ann_offer] = [o for o in offers if o["agent"] == ann]
        pop = await next_pop(ann_desk)
        assert pop["contact"]["call_id"] == ann_offer["id"]
        assert pop["contact"]["journey_id"] == ann_offer["journey_id"]
        # both instances name the agents, whichever loaded them
        names = {x["login"]: x["name"] for x in await a.router.agents()}
        assert names == {"ann": "Ann", "bob": "Bob"}


async def desktop_socket(
    http: aiohttp.ClientSession, server: OmnivoxServer, login: str
) -> aiohttp.ClientWebSocketResponse:
    """An agent signed in on ``server``'s desktop, its pop socket open."""
    base = f"http://127.0.0.1:{server.http_port}"
    body = {"login": login, "password": f"pw-{login}"}
    async with http.post(f"{base}/auth/login", json=body) as reply:
        assert reply.status == 200, await reply.text()
        token = (await reply.json())["token"]
    ws = await http.ws_connect(f"{base}/ws/agent", headers={"Authorization": f"Bearer {token}"})
    assert (await ws.receive_json(timeout=5))["type"] == "hello"
    return ws


async def next_pop(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    while True:
        message = await ws.receive_json(timeout=30)
        if message.get("type") == "pop":
            return dict(message["pop"])


async def test_restarting_the_instance_loses_no_waiting_caller(
    asterisk: AsteriskService, ami: AMIClient, shared: dict[str, Any]
) -> None:
    settings = settings_for(asterisk, shared)
    waiting = ami.expect("UserEvent", lambda e: e.get("UserEvent") == "OmnivoxWaiting")
    async with OmnivoxServer(settings, clock=running_clock(OPEN)) as first:
        agent = await seat(first, "ann", "Local/1001@agent-sim", ready=False)
        call_id = await place_call(ami, first, TO_BILLING, "+14155550171")
        held = await asyncio.wait_for(waiting, 60)
        assert first.router is not None
        await until(lambda: topics(first, "routing.queued"))  # nobody is ready: it waits
    # the process is gone; the caller keeps waiting in Asterisk's hold context

    answered = ami.expect("DialEnd", answered_by_agent)
    async with OmnivoxServer(settings, clock=running_clock(OPEN)) as second:
        assert second.router is not None and second.router.is_leader
        [view] = await second.router.contacts()
        assert (view["id"], view["phase"]) == (held["Uniqueid"], "waiting")
        await second.router.set_state(agent, "ready")
        dial = await asyncio.wait_for(answered, 30)
        assert "1001" in dial["DestChannel"] and dial["Linkedid"] == call_id


async def test_a_callback_rings_the_agent_then_the_customer(
    asterisk: AsteriskService, ami: AMIClient, shared: dict[str, Any]
) -> None:
    asterisk.set_global("OMNIVOX_CALLBACK_PREFIX", "Local/")
    asterisk.set_global("OMNIVOX_CALLBACK_SUFFIX", "@callback-sim")
    settings = settings_for(asterisk, shared)
    customer_answered = ami.expect(
        "UserEvent", lambda e: e.get("UserEvent") == "CallbackSimAnswered"
    )
    async with OmnivoxServer(settings, clock=running_clock(OPEN)) as server:
        assert server.router is not None
        agent = await seat(server, "ann", "Local/1001@agent-sim", ready=False)
        await place_call(ami, server, TO_CALLBACK, "+14155550181")
        switched = await until(lambda: topics(server, "ivr.channel_switch"))
        assert switched[0]["kind"] == "callback"
        queued = await until(lambda: topics(server, "routing.queued"))
        assert (queued[0]["media"], queued[0]["service"]) == ("callback", "billing")

        await server.router.set_state(agent, "ready")  # an agent is free: ring them first
        reached = await asyncio.wait_for(customer_answered, 30)
        assert reached["Number"] == "14155550181"  # dialled as +1..., the sim strips the +
        offered = topics(server, "routing.offered")[0]
        assert offered["agent"] == agent and offered["facts"]["kind"] == "callback"
        assert "callback" in offered["facts"]["reason"]
        active = await until(lambda: topics(server, "routing.answered"))
        assert (active[0]["media"], active[0]["agent_id"]) == ("callback", agent)
