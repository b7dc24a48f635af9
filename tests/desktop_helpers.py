"""Shared pieces of the desktop and auth tests: agents with passwords, a running desktop app
(real aiohttp server on port 0), and a real Redis under a unique key prefix."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import redis.asyncio as aioredis
from aiohttp import ClientWebSocketResponse, web
from aiohttp.test_utils import TestClient, TestServer

from customers.records import AgentRecord
from customers.store import CustomerStore
from omnivox import desktop
from omnivox.auth import Cost, hash_password
from omnivox.desktop import MemoryPresence, PopHub

CHEAP = Cost(n=2**10, r=8, p=1)  # stored hashes carry their cost: tests sign in fast
SECRET = b"omnivox-test-secret-0123456789abcdef"
REDIS_URL = "redis://127.0.0.1:6379/0"


async def make_agent(
    store: CustomerStore,
    login: str,
    *,
    role: str = "agent",
    team: str | None = "north",
    password: str | None = None,
    skills: dict[str, int] | None = None,
) -> AgentRecord:
    return await store.create_agent(
        login,
        login.capitalize(),
        f"PJSIP/{login}",
        role=role,
        team=team,
        password_hash=hash_password(password or f"pw-{login}", CHEAP),
        skills=skills or {"billing": 5},
    )


class Desk:
    """One omnivox instance's desktop: the app, its server and a client for it."""

    def __init__(
        self,
        store: CustomerStore,
        *,
        redis: Any = None,
        prefix: str = "omnivox:test:",
        clock: Callable[[], float] = time.time,
        presence: MemoryPresence | None = None,
    ) -> None:
        self.store = store
        self.hub = PopHub(redis, prefix=prefix + "desktop:")
        self.presence = presence or MemoryPresence(clock)
        self.app = web.Application()
        self.sessions = desktop.setup(
            self.app,
            store=store,
            hub=self.hub,
            presence=self.presence,
            secret=SECRET,
            redis=redis,
            clock=clock,
            redis_prefix=prefix,
        )
        self.client = TestClient(TestServer(self.app))

    async def start(self) -> Desk:
        await self.client.start_server()
        return self

    async def close(self) -> None:
        await self.client.close()

    async def token(self, login: str, password: str | None = None) -> str:
        response = await self.client.post(
            "/auth/login", json={"login": login, "password": password or f"pw-{login}"}
        )
        assert response.status == 200, await response.text()
        return str((await response.json())["token"])

    async def socket(
        self, token: str, agent: int | None = None, **kwargs: Any
    ) -> ClientWebSocketResponse:
        query = "" if agent is None else f"?agent={agent}"
        return await self.client.ws_connect(
            f"/ws/agent{query}", headers={"Authorization": f"Bearer {token}"}, **kwargs
        )


@asynccontextmanager
async def running(store: CustomerStore, **kwargs: Any) -> AsyncIterator[Desk]:
    desk = await Desk(store, **kwargs).start()
    try:
        yield desk
    finally:
        await desk.close()


async def next_of(ws: ClientWebSocketResponse, kind: str, wait: float = 5.0) -> dict[str, Any]:
    """The next server message of type ``kind`` (others are skipped)."""
    while True:
        message = await ws.receive_json(timeout=wait)
        if message.get("type") == kind:
            return dict(message)


@asynccontextmanager
async def redis_prefix() -> AsyncIterator[tuple[Any, str]]:
    """A real Redis client and a key prefix of its own; the keys are deleted afterwards."""
    prefix = f"omnivox:test:{secrets.token_hex(4)}:"
    client = aioredis.from_url(REDIS_URL, client_name=f"omnivox-test-{prefix}")
    try:
        yield client, prefix
    finally:
        keys = [k async for k in client.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
        await client.aclose()


T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=9)  # recent: "3 d ago"

MENU = {
    "node": "main",
    "offset_ms": 1200,
    "mode": "personalised",
    "order": [
        {"key": "1", "option": "6", "intent": "billing", "promoted": True},
        {"key": "2", "option": "1", "intent": "tv", "promoted": False},
    ],
    "promoted": ["billing"],
    "reasons": {"billing": "3 billing contacts in the last 30 days, 1 still open"},
}
PATH = [
    {
        "node": "greet",
        "kind": "say",
        "offset_ms": 0,
        "input": None,
        "detail": {"result": "entered"},
    },
    {
        "node": "main",
        "kind": "menu",
        "offset_ms": 1200,
        "input": None,
        "detail": MENU | {"result": "entered"},
    },
    {
        "node": "main",
        "kind": "menu",
        "offset_ms": 4100,
        "input": "1",
        "detail": {"result": "option", "option": "6", "intent": "billing"},
    },
    {
        "node": "account",
        "kind": "gather",
        "offset_ms": 5000,
        "input": "1",
        "detail": {"result": "prefill", "prefill": "confirmed", "field": "account"},
    },
    {
        "node": "pin",
        "kind": "gather",
        "offset_ms": 9000,
        "input": "4321",
        "detail": {"result": "collected", "field": "pin"},
    },
]
DECISION = {
    "contact_id": "call-7",
    "agent_id": "1",
    "why": "billing: 1 — fit +0, idle 42 s; rejected 1 busy",
    "trace": {
        "service": "billing",
        "target_service": "billing",
        "step_reasons": [],
        "requirements": [{"skill": "billing", "level": 5}],
        "agent_score": {"affinity": 0.0, "fit_excess": 0.0, "idle_s": 42.0},
        "runner_up": "2",
        "candidates": 3,
        "rejections": [{"agent_id": "3", "reason": "busy"}],
        "rejected_by_reason": {"busy": 1},
    },
}


async def seed_customer(store: CustomerStore) -> tuple[int, int, int]:
    agent = await make_agent(store, "kim", skills={"billing": 7})
    ann = await store.create_customer(
        "Ann Smith",
        segment="gold",
        vip=True,
        identities=[
            ("phone", "+14155550100"),
            ("email", "Ann@Example.com"),
            ("phone", "+14155550199"),
        ],
    )
    rows = [
        ("email", "in", 1, "invoice question", "billing", "resolved", False),
        ("chat", "in", 3, "wrong charge", "billing", "unresolved", True),
        ("voice", "in", 5, "router reset", "tv", "resolved", False),
        ("sms", "out", 6, "payment reminder", None, None, False),
    ]
    for channel, direction, days, topic, intent, outcome, is_open in rows:
        await store.record_interaction(
            ann.id,
            channel,
            direction,
            occurred_at=T0 + timedelta(days=days),
            topic=topic,
            intent=intent,
            summary=f"{topic} ({channel})",
            outcome=outcome,
            open=is_open,
            agent_id=agent.id if channel == "chat" else None,
        )
    journey = await store.start_journey(
        "call-7", "telecom", customer_id=ann.id, caller="+14155550100"
    )
    await store.update_journey(
        journey,
        path=PATH,
        menus=[MENU],
        inputs={
            "account": {"value": "99120", "source": "profile"},
            "pin": {"value": "4321", "source": "voice"},
            "_return_stack": ["x"],
        },
        intent="billing",
        service="billing",
        status="transferred",
        stopped_at="to_billing",
    )
    return ann.id, journey, agent.id


def sample_pop(call_id: str = "call-1", **extra: Any) -> dict[str, Any]:
    """A small pop as build_pop makes them (tests of delivery need not build a real one)."""
    return {
        "type": "screen_pop",
        "kind": "call",
        "contact": {"call_id": call_id, "customer_id": None, "journey_id": None, "kind": "call"},
        **extra,
    }
