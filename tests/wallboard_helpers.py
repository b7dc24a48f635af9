"""A running wallboard: the real router (no AMI) on the real in-process bus, sign-in from the
desktop, ``/wallboard`` and ``/ws/wallboard`` on an aiohttp test server (port 0)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from aiohttp import ClientWebSocketResponse, web
from aiohttp.test_utils import TestClient, TestServer

from customers.records import AgentRecord
from customers.store import CustomerStore
from omnivox import desktop, reports, wallboard
from omnivox.server import EventBus
from omnivox.wallboard import Wallboard
from routing.core.model import Service
from routing.service import Router
from routing.state import MemoryState
from tests.desktop_helpers import SECRET, make_agent

SERVICES = {
    "billing": Service("billing", requires={"billing": 5}, sl_target_s=20, sl_percent=80),
    "tv_support": Service("tv_support", requires={"tv": 5}, sl_target_s=30, sl_percent=90),
}


class Board:
    """The pieces of one running wallboard, for tests to drive and read."""

    def __init__(self, store: CustomerStore, router: Router, bus: EventBus, board: Wallboard):
        self.store, self.router, self.bus, self.wallboard = store, router, bus, board
        self.app = web.Application()
        desktop.setup(
            self.app, store=store, hub=desktop.PopHub(None), presence=router, secret=SECRET
        )
        wallboard.setup(self.app, board)
        self.client = TestClient(TestServer(self.app))

    async def token(self, login: str) -> str:
        response = await self.client.post(
            "/auth/login", json={"login": login, "password": f"pw-{login}"}
        )
        assert response.status == 200, await response.text()
        return str((await response.json())["token"])

    async def socket(self, token: str) -> ClientWebSocketResponse:
        return await self.client.ws_connect(
            "/ws/wallboard", headers={"Authorization": f"Bearer {token}"}
        )

    async def agent(self, login: str, **kwargs: Any) -> AgentRecord:
        record = await make_agent(self.store, login, **kwargs)
        await self.router.add_agent(record)
        return record

    async def set_state(self, login: str, agent_id: int, state: str) -> None:
        """The agent's own click on the desktop (``PUT /api/agents/{id}/state``)."""
        token = await self.token(login)
        response = await self.client.put(
            f"/api/agents/{agent_id}/state",
            json={"state": state},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status == 200, await response.text()


async def answered_call(board: Board, login: str, agent_id: int, call_id: str) -> None:
    """A billing caller handed over by the IVR, offered to the agent as they click ready,
    answered at once (within any target), hung up; the agent goes not ready again."""
    await board.bus.publish("ivr.transfer", transfer(call_id))
    await board.set_state(login, agent_id, "ready")
    await board.router.on_ami_event(
        ami("DialEnd", Uniqueid=call_id, DialStatus="ANSWER", DestChannel=f"PJSIP/{login}-1")
    )
    await board.router.on_ami_event(ami("Hangup", Uniqueid=call_id, Cause="16"))


async def abandoned_call(board: Board, call_id: str) -> None:
    """A billing caller handed over by the IVR who hangs up while waiting."""
    await board.bus.publish("ivr.transfer", transfer(call_id))
    await board.router.on_ami_event(ami("Hangup", Uniqueid=call_id, Cause="16"))


def transfer(call_id: str, service: str = "billing") -> dict[str, Any]:
    """The IVR's ``ivr.transfer`` payload for one caller."""
    return {
        "call_id": call_id,
        "channel": f"PJSIP/caller-{call_id}",
        "service": service,
        "skills": [service.split("_")[0]],
        "priority": 5,
        "intent": service,
        "language": "en",
        "journey_id": None,
        "customer_id": None,
    }


def ami(kind: str, **fields: str) -> dict[str, str]:
    return {"Event": kind, **fields}


@asynccontextmanager
async def running(
    store: CustomerStore,
    *,
    clock: Callable[[], float] = time.time,
    period_s: float = 30.0,
    **kwargs: Any,
) -> AsyncIterator[Board]:
    """The recorder, router, bus and wallboard wired like ``omnivox.server`` does it (the
    recorder stamps events with the wallboard's clock)."""
    bus = EventBus()
    router = Router(MemoryState(SERVICES), publish=bus.publish)
    board = Wallboard(router, store, clock=clock, period_s=period_s, **kwargs)
    record = reports.recorder(store, lambda: datetime.fromtimestamp(clock(), UTC))
    bus.listeners += [record, router.on_bus, board.on_bus]
    await router.start()
    running_board = Board(store, router, bus, board)
    await running_board.client.start_server()
    try:
        yield running_board
    finally:
        await running_board.client.close()
        await router.close()


async def next_board(ws: ClientWebSocketResponse, wait: float = 5.0) -> dict[str, Any]:
    while True:
        message = await ws.receive_json(timeout=wait)
        if message.get("type") == "board":
            return dict(message)
