"""A running chat world for the channel-switch tests: the API, the agent desktop and the
customer's chat page on one real aiohttp server (port 0), a real router (in-process state)
over one ``billing`` service, the pop hub, and the bus between them as the server wires it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from customers.store import CustomerStore
from ivr.scenario import ScenarioSet
from omnivox import api, desktop, switch
from omnivox.config import Bind, Settings
from omnivox.desktop import PopHub
from omnivox.server import EventBus
from omnivox.switch import SwitchService
from routing.core.model import Service
from routing.service import Router
from routing.state import MemoryState
from tests.desktop_helpers import SECRET

ROOT = Path(__file__).resolve().parent.parent
PHONE = "+14155550123"
SERVICES = {"billing": Service("billing", requires={"billing": 5}, wrap_up_s=30)}


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ChatWorld:
    store: CustomerStore
    router: Router
    service: SwitchService
    hub: PopHub
    bus: EventBus
    client: TestClient
    tokens: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return str(self.client.make_url(path))

    async def sign_in(self, login: str) -> dict[str, str]:
        """A Bearer header for ``login`` (signed in by its own session: no shared cookies)."""
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                self.url("/auth/login"), json={"login": login, "password": f"pw-{login}"}
            ) as reply,
        ):
            assert reply.status == 200, await reply.text()
            return {"Authorization": f"Bearer {(await reply.json())['token']}"}

    async def link(self, customer_id: int, call_id: str = "1733400000.42") -> str:
        """The token the IVR's channel switch sends by SMS, for a call of ``customer_id``."""
        journey_id = await self.store.start_journey(call_id, "telecom", customer_id=customer_id)
        await self.store.update_journey(
            journey_id, inputs={"account_number": {"value": "55556666"}}, intent="billing"
        )
        await self.service.offer_sms_link(
            {
                "call_id": call_id,
                "caller": PHONE,
                "journey_id": journey_id,
                "customer_id": customer_id,
                "scenario": "telecom",
                "kind": "sms_link",
                "intent": "billing",
            }
        )
        return self.tokens[-1]

    async def open(self, token: str) -> dict[str, Any]:
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.url(f"/api/continuations/{token}"), json={}) as reply,
        ):
            assert reply.status == 201, await reply.text()
            return dict(await reply.json())


@asynccontextmanager
async def chat_world(
    store: CustomerStore,
    scenarios: ScenarioSet,
    *,
    redis: Any = None,
    prefix: str = "omnivox:test:",
    route: bool = True,
) -> AsyncIterator[ChatWorld]:
    """One instance; with ``redis`` its pop hub shares pops and contacts under ``prefix``;
    without ``route`` its chats are not routed (another instance's router offers them)."""
    bus = EventBus()
    router = Router(MemoryState(SERVICES), publish=bus.publish, tick_s=0.2)
    made: list[str] = []

    def random(n: int) -> str:
        import secrets

        token = secrets.token_urlsafe(n)
        made.append(token)
        return token

    service = SwitchService(
        store,
        public_url="http://chat.example",
        clock=utc_now,
        scenarios=scenarios.get,
        router=router if route else None,
        ttl=timedelta(minutes=30),
        publish=bus.publish,
        random=random,
    )
    hub = PopHub(redis, prefix=prefix + "desktop:")
    app = web.Application()
    api.setup(app, store, clock=utc_now)
    desktop.setup(
        app,
        store=store,
        hub=hub,
        presence=router,
        secret=SECRET,
        redis=redis,
        redis_prefix=prefix,
    )
    switch.setup(app, service)
    bus.listeners += [desktop.bus_listener(store, hub), service.on_bus]
    client = TestClient(TestServer(app))
    await client.start_server()
    await router.start()
    world = ChatWorld(store, router, service, hub, bus, client)
    world.tokens = made
    try:
        yield world
    finally:
        await router.close()
        await client.close()


async def sse(reply: aiohttp.ClientResponse) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """The server-sent events of ``reply`` as (event, data)."""
    event: dict[str, str] = {}
    async for raw in reply.content:
        line = raw.decode().rstrip("\r\n")
        if not line:
            if "event" in event:
                yield event["event"], json.loads(event.get("data") or "null")
            event = {}
        elif not line.startswith(":"):
            key, _, value = line.partition(":")
            event[key] = value.removeprefix(" ")


async def next_event(
    events: AsyncIterator[tuple[str, dict[str, Any]]], kind: str, wait: float = 5.0
) -> dict[str, Any]:
    """The next event of ``kind`` (others are skipped)."""
    async with asyncio.timeout(wait):
        async for name, data in events:
            if name == kind:
                return data
    raise AssertionError(f"the stream ended before a {kind!r} event")


class Gateway:
    """The SMS gateway's webhook: records every text posted."""

    def __init__(self) -> None:
        self.texts: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        app = web.Application()
        app.router.add_post("/sms", self.handle)
        self.server = TestServer(app)

    async def handle(self, request: web.Request) -> web.Response:
        self.texts.append(await request.json())
        self.arrived.set()
        return web.json_response({"queued": True})


def gateway_settings(tmp_path: Path, gateway: Gateway, secret: str) -> Settings:
    """A whole server on SQLite, the shipped scenarios and routing, texting ``gateway``."""
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'omnivox.db'}",
        fastagi_bind=Bind("127.0.0.1", 0),
        http_bind=Bind("127.0.0.1", 0),
        scenarios=ROOT / "scenarios",
        sounds=tmp_path / "sounds",
        routing=ROOT / "config" / "routing.yaml",
        secret_key=secret,
        sms_webhook_url=str(gateway.server.make_url("/sms")),
    )


async def sign_in_desk(browser: Any, base: str, login: str, errors: list[str] | None = None) -> Any:
    """A desktop page with ``login`` signed in (password ``pw-<login>``); page errors and
    console errors from the first load on go to ``errors`` when given."""
    desk = await browser.new_page()
    if errors is not None:
        desk.on("pageerror", lambda exc: errors.append(str(exc)))
        desk.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await desk.goto(base + "/")
    await desk.fill("#login", login)
    await desk.fill("#password", f"pw-{login}")
    await desk.click("#signin-submit")
    await desk.wait_for_url("**/desktop")
    return desk
