"""``GET /api/calls/{call_id}/routing`` on a running omnivox: a call placed through its FastAGI
port (the builtin driver) is routed to a ready agent, and the API tells who got it, why, and
the screen-pop pushed to them; keys without ``calls:read`` are refused, unknown calls are 404,
and ``omnivox simulate --server`` reads ``agent`` / ``screen_pop`` through it."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from omnivox import calllog
from omnivox.api import build, create_api_key
from omnivox.config import Bind, Settings
from omnivox.server import OmnivoxServer
from omnivox.simulate.builtin import BuiltinDriver
from omnivox.simulate.remote import RemoteDesk, RemoteError
from omnivox.simulate.runner import Runner
from omnivox.simulate.scripts import load_scripts
from omnivox.simulate.targets import running
from tests.remote_helpers import ROOT, Admin, open_all_day

BILLING = ROOT / "qa" / "telecom_billing_regular.yaml"


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sounds")  # shared: each prompt is synthesized once


@pytest.fixture
def settings(tmp_path: Path, sounds: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'running.db'}",
        fastagi_bind=Bind("127.0.0.1", 0),
        http_bind=Bind("127.0.0.1", 0),
        scenarios=open_all_day(tmp_path / "scenarios"),
        sounds=sounds,
        routing=ROOT / "config" / "routing.yaml",
    )


class Running:
    def __init__(self, server: OmnivoxServer, admin: Admin) -> None:
        assert server.fastagi is not None and server.store is not None
        self.server, self.admin, self.store = server, admin, server.store
        self.url = admin.base
        self.fastagi = Bind("127.0.0.1", server.fastagi.port)

    async def key(self, *scopes: str) -> str:
        return await create_api_key(self.store, "qa", scopes)

    async def routing(self, call_id: str, key: str | None) -> tuple[int, Any, Any]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        async with self.admin.http.get(
            f"{self.url}/api/calls/{call_id}/routing", headers=headers
        ) as reply:
            return reply.status, await reply.json(), reply.headers


@pytest.fixture
async def omnivox(settings: Settings) -> AsyncIterator[Running]:
    async with OmnivoxServer(settings) as server, aiohttp.ClientSession() as http:
        assert server.store is not None
        admin = Admin(http, f"http://127.0.0.1:{server.http_port}")
        await admin.sign_in(server.store)
        await admin.ready_agent("bella", "PJSIP/2001", {"billing": 8})
        yield Running(server, admin)


async def call_billing(omnivox: Running, settings: Settings, key: str) -> Any:
    """The QA script through the FastAGI port, its agent side read over HTTP."""
    assert omnivox.server.scenarios is not None
    scripts = load_scripts([BILLING], omnivox.server.scenarios)
    desk = RemoteDesk(omnivox.url, key, answered=False)
    await desk.start()
    try:
        async with running(settings, omnivox.fastagi, desk) as target:
            driver = BuiltinDriver(omnivox.fastagi.host, omnivox.fastagi.port)
            (result,) = await Runner(target, driver).run(scripts)
    finally:
        await desk.close()
    return result


def conforms(body: object) -> None:
    """``body`` matches CallRouting in the served OpenAPI document."""
    registry: Registry[Any] = Registry().with_resource(
        "urn:doc", Resource.from_contents(build(), default_specification=DRAFT202012)
    )
    schema = {"$ref": "urn:doc#/components/schemas/CallRouting"}
    found = list(Draft202012Validator(schema, registry=registry).iter_errors(body))
    assert not found, [f"{list(e.absolute_path)}: {e.message}" for e in found[:5]]


async def test_a_routed_call_tells_its_agent_decision_and_pop(
    omnivox: Running, settings: Settings
) -> None:
    key = await omnivox.key("calls:read")
    result = await call_billing(omnivox, settings, key)
    (call,) = result.calls
    assert result.status == "passed", [c for c in call.checks if not c.passed]
    checked = {c.name: c for c in call.checks}
    for name in ("agent skill", "agent waited_in", "screen_pop name", "screen_pop why"):
        assert checked[name].passed and not checked[name].skipped, checked[name]
    assert checked["agent skill"].got == "bella (billing 8), offered, waited in billing"

    status, body, headers = await omnivox.routing(str(call.line.uniqueid), key)
    assert status == 200, body
    conforms(body)
    assert headers["Cache-Control"] == "no-store"
    assert (body["state"], body["service"], body["offers"]) == ("offered", "billing", 1)
    assert body["agent"]["login"] == "bella" and body["agent"]["skills"] == {"billing": 8}
    assert [e["topic"] for e in body["events"]] == ["routing.queued", "routing.offered"]
    assert "billing" in body["why"]["why"]
    pop = body["pop"]
    assert pop["contact"]["call_id"] == call.line.uniqueid
    assert pop["agent_id"] == body["agent"]["id"]
    assert pop["customer"]["name"] == "Ann Example" and body["pop_note"] is None


async def test_keys_scopes_and_unknown_calls(omnivox: Running, settings: Settings) -> None:
    reader = await omnivox.key("calls:read")
    call = (await call_billing(omnivox, settings, reader)).calls[0]
    uid = str(call.line.uniqueid)

    status, body, headers = await omnivox.routing(uid, None)
    assert status == 401 and body["error"] == "unauthorized"
    assert headers["WWW-Authenticate"].startswith("Bearer")
    status, body, _ = await omnivox.routing(uid, "ovx_" + "x" * 43)
    assert (status, body["message"]) == (401, "this API key is not valid")
    customers_only = await omnivox.key("customers:read")
    status, body, _ = await omnivox.routing(uid, customers_only)
    assert status == 403 and body["scope"] == "calls:read"
    assert "this needs the scope calls:read" in body["message"]

    status, body, _ = await omnivox.routing("1733000000.999", reader)
    assert status == 404 and body["error"] == "not_found"
    assert "no call '1733000000.999' was handed to the router" in body["message"]
    status, body, _ = await omnivox.routing("1.2%20bad", reader)
    assert (status, body["error"], body["field"]) == (400, "invalid", "call_id")

    # an admin's session holds every scope
    status, body, _ = await omnivox.routing(uid, omnivox.admin.headers["Authorization"][7:])
    assert status == 200 and body["agent"]["login"] == "bella"


async def test_the_simulator_refuses_a_key_without_the_scope_before_calling(
    omnivox: Running,
) -> None:
    for scopes, words in ((("customers:read",), "lacks calls:read"), ((), "refused")):
        key = await omnivox.key(*scopes) if scopes else "ovx_" + "y" * 43
        desk = RemoteDesk(omnivox.url, key)
        with pytest.raises(RemoteError, match=words):
            await desk.start()
    with pytest.raises(RemoteError, match="cannot reach omnivox at http://127.0.0.1:9"):
        await RemoteDesk("http://127.0.0.1:9", "ovx_z").start()


async def test_without_routing_the_endpoint_says_so(tmp_path: Path, sounds: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'plain.db'}",
        fastagi_bind=Bind("127.0.0.1", 0),
        http_bind=Bind("127.0.0.1", 0),
        scenarios=open_all_day(tmp_path / "scenarios"),
        sounds=sounds,
        routing=tmp_path / "no-routing.yaml",
    )
    async with OmnivoxServer(settings) as server, aiohttp.ClientSession() as http:
        assert server.store is not None and server.router is None
        key = await create_api_key(server.store, "qa", ["calls:read"])
        async with http.get(
            f"http://127.0.0.1:{server.http_port}/api/calls/1.2/routing",
            headers={"Authorization": f"Bearer {key}"},
        ) as reply:
            body = await reply.json()
    assert reply.status == 503 and body["message"] == "call routing is not set up on this server"


async def test_the_redis_log_is_shared_and_summarised() -> None:
    client = aioredis.from_url("redis://127.0.0.1:6379/0")
    prefix = f"test:{secrets.token_hex(6)}:calls:"
    try:
        one, two = (
            calllog.RedisCallLog(client, prefix=prefix),
            calllog.RedisCallLog(client, prefix=prefix),
        )
        listen = calllog.listener(one, clock=lambda: 100.0)
        await listen("routing.queued", {"id": "c1", "service": "billing"})
        offer = {"id": "c1", "service": "billing", "agent": "7", "why": {"why": "billing 8"}}
        await listen("routing.offered", offer | {"facts": {"caller": "+1"}})
        await listen("routing.agent", {"id": "7", "state": "reserved"})  # not a call's event
        await listen("routing.answered", {"id": "c1", "service": "billing", "agent_id": "7"})
        await listen("routing.ended", {"id": "c1", "wait_s": 3.5, "outcome": "ended"})
        events = await two.events("c1")  # another instance reads what this one kept
        assert [e["topic"] for e in events] == [
            "routing.queued",
            "routing.offered",
            "routing.answered",
            "routing.ended",
        ]
        assert await client.ttl(f"{prefix}c1") > 0
        decided = calllog.summary(events)
        assert decided | {"why": None} == {
            "state": "ended",
            "queued": True,
            "service": "billing",
            "offers": 1,
            "agent_id": "7",
            "answered": True,
            "ended": "ended",
            "wait_s": 3.5,
            "why": None,
        }
        assert decided["why"] == {"why": "billing 8"}
        assert await two.events("unknown") == []
    finally:
        keys = [k async for k in client.scan_iter(f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
