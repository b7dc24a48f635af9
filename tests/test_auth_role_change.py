"""An admin's role change applies at once: the agent's open sessions see the new role on their
next request (over HTTP, on this instance and, through Redis, on another), and a demoted
supervisor's open wallboard socket is closed (4403) and their desktop socket watching an
agent is closed (4409, the reconnect is checked anew), without waiting for a re-check."""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import WSMsgType

from customers.store import CustomerStore
from ivr.prompts import PromptRenderer
from ivr.scenario import ScenarioSet
from omnivox import wallboard
from omnivox.admin import http as admin_http
from omnivox.desktop import ws as desktop_ws
from omnivox.wallboard import http as wallboard_http
from routing.core.config import parse_config
from routing.service import Router
from routing.state import MemoryState
from tests.admin_helpers import SMALL
from tests.desktop_helpers import Desk, make_agent, redis_prefix

ROOT = Path(__file__).resolve().parent.parent


@asynccontextmanager
async def site(store: CustomerStore, tmp_path: Path, **desk: Any) -> AsyncIterator[Desk]:
    """One instance: sign-in, the admin pages and the wallboard on one app."""
    scenario_dir = tmp_path / f"site-{secrets.token_hex(3)}"  # two instances: two dirs
    scenario_dir.mkdir()
    (scenario_dir / "small.yaml").write_text(SMALL.format(name="small"), encoding="utf-8")
    routing_path = scenario_dir / "routing.yaml"
    shutil.copy(ROOT / "config" / "routing.yaml", routing_path)
    config = parse_config(yaml.safe_load(routing_path.read_text(encoding="utf-8")))
    router = Router(MemoryState(config.services))
    for record in await store.list_agents():
        await router.add_agent(record)
    renderer = PromptRenderer(tmp_path / "sounds")
    app = Desk(store, **desk)
    admin_http.setup(
        app.app,
        scenarios=ScenarioSet.load_dir(scenario_dir)[0],
        renderer=renderer,
        store=store,
        router=router,
        routing_path=routing_path,
    )
    wallboard.setup(app.app, wallboard.Wallboard(router, store))
    await app.start()
    try:
        yield app
    finally:
        await app.close()
        await router.close()
        renderer.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def me(desk: Desk, token: str) -> dict[str, Any]:
    response = await desk.client.get("/auth/me", headers=bearer(token))
    assert response.status == 200, await response.text()
    return dict(await response.json())


async def change(desk: Desk, admin: str, agent_id: int, **fields: Any) -> None:
    response = await desk.client.patch(
        f"/admin/agents/{agent_id}", json=fields, headers=bearer(admin)
    )
    assert response.status == 200, await response.text()


async def test_a_demoted_supervisor_loses_the_wallboard_at_once(
    sqlite_store: CustomerStore, tmp_path: Path
) -> None:
    await make_agent(sqlite_store, "root", role="admin", team=None)
    sue = await make_agent(sqlite_store, "sue", role="supervisor")
    ann = await make_agent(sqlite_store, "ann")
    # a re-check period far beyond the test: only the change can close the socket
    assert wallboard_http.RECHECK_S >= 30
    async with site(sqlite_store, tmp_path) as desk:
        root, sue_token, ann_token = [await desk.token(x) for x in ("root", "sue", "ann")]
        ws = await desk.client.ws_connect("/ws/wallboard", headers=bearer(sue_token))
        hello = await ws.receive_json(timeout=5)
        assert hello["principal"]["role"] == "supervisor"

        await change(desk, root, sue.id, role="agent")
        async with asyncio.timeout(10):  # a hang guard: the re-check alone would take 30 s
            message = await ws.receive()
            while message.type == WSMsgType.TEXT:  # boards may come first; then the close
                message = await ws.receive()
        assert (message.type, message.data) == (WSMsgType.CLOSE, wallboard_http.CLOSE_FORBIDDEN)
        assert "supervisors" in message.extra

        # the same token, next requests: the new role (it was issued as a supervisor's)
        assert (await me(desk, sue_token))["role"] == "agent"
        assert (await desk.client.get("/wallboard", headers=bearer(sue_token))).status == 403
        refused = await desk.client.get("/ws/wallboard", headers=bearer(sue_token))
        assert refused.status == 403
        admin_page = await desk.client.get("/admin/agents", headers=bearer(sue_token))
        assert admin_page.status == 403

        # a promotion applies to an open session too, and a fresh sign-in carries it
        await change(desk, root, ann.id, role="supervisor", team="north")
        assert (await me(desk, ann_token))["role"] == "supervisor"
        assert (await me(desk, ann_token))["team"] == "north"
        assert (await desk.client.get("/wallboard", headers=bearer(ann_token))).status == 200
        assert (await me(desk, await desk.token("sue")))["role"] == "agent"
        # a name change leaves the role alone
        await change(desk, root, ann.id, name="Ann Lee")
        assert (await me(desk, ann_token))["role"] == "supervisor"


@pytest.mark.redis
async def test_the_change_reaches_sessions_on_another_instance(
    sqlite_store: CustomerStore, tmp_path: Path
) -> None:
    """Instance A's admin demotes sue; her token used on instance B (same Redis) sees it, and
    her wallboard socket on B is closed at once (the change is announced over Redis)."""
    await make_agent(sqlite_store, "root", role="admin", team=None)
    sue = await make_agent(sqlite_store, "sue", role="supervisor")
    async with (
        redis_prefix() as (client, prefix),
        site(sqlite_store, tmp_path, redis=client, prefix=prefix) as first,
        site(sqlite_store, tmp_path, redis=client, prefix=prefix) as second,
    ):
        sue_token = await second.token("sue")
        assert (await me(second, sue_token))["role"] == "supervisor"
        ws = await second.client.ws_connect("/ws/wallboard", headers=bearer(sue_token))
        assert (await ws.receive_json(timeout=5))["type"] == "hello"
        await change(first, await first.token("root"), sue.id, role="agent")
        assert (await me(second, sue_token))["role"] == "agent"
        assert (await second.client.get("/wallboard", headers=bearer(sue_token))).status == 403
        async with asyncio.timeout(10):  # a hang guard: the re-check alone would take 30 s
            message = await ws.receive()
            while message.type == WSMsgType.TEXT:
                message = await ws.receive()
        assert (message.type, message.data) == (WSMsgType.CLOSE, wallboard_http.CLOSE_FORBIDDEN)


async def test_a_demoted_supervisor_stops_watching_an_agents_desktop(
    sqlite_store: CustomerStore, tmp_path: Path
) -> None:
    await make_agent(sqlite_store, "root", role="admin", team=None)
    sue = await make_agent(sqlite_store, "sue", role="supervisor")
    ann = await make_agent(sqlite_store, "ann")
    async with site(sqlite_store, tmp_path) as desk:
        root, sue_token = await desk.token("root"), await desk.token("sue")
        watching = await desk.socket(sue_token, agent=ann.id)
        assert (await watching.receive_json(timeout=5))["agent"] == ann.id
        own = await desk.socket(await desk.token("ann"))
        assert (await own.receive_json(timeout=5))["type"] == "hello"

        await change(desk, root, sue.id, role="agent")
        async with asyncio.timeout(10):  # a hang guard: the re-check alone would take 30 s
            message = await watching.receive()
            while message.type == WSMsgType.TEXT:
                message = await watching.receive()
        assert (message.type, message.data) == (WSMsgType.CLOSE, desktop_ws.CLOSE_CHANGED)
        again = await desk.client.get(f"/ws/agent?agent={ann.id}", headers=bearer(sue_token))
        assert again.status == 403  # the reconnect is checked with the new role
        await own.send_json({"type": "ping"})  # ann's own socket is untouched
        assert (await own.receive_json(timeout=5))["type"] == "pong"
        await own.close()
