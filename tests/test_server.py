"""``omnivox serve`` and ``omnivox demo``: start-up, /healthz, one-line errors, hot reload."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shutil
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis

from ivr.fastagi.client import run_call
from omnivox.cli import main
from omnivox.config import AMISettings, Bind, Settings
from omnivox.demo import demo_time, run_demo
from omnivox.desktop.keys import HUB
from omnivox.server import OmnivoxServer
from tests.desktop_helpers import make_agent, sample_pop
from tests.ivr_helpers import OPEN, running_clock

ROOT = Path(__file__).resolve().parent.parent


def settings_for(tmp_path: Path, **changes: object) -> Settings:
    base: dict[str, object] = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'omnivox.db'}",
        "fastagi_bind": Bind("127.0.0.1", 0),
        "http_bind": Bind("127.0.0.1", 0),
        "scenarios": ROOT / "scenarios",
        "sounds": tmp_path / "sounds",
    }
    base.update(changes)
    return Settings(**base)  # type: ignore[arg-type]


async def healthz(server: OmnivoxServer) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{server.http_port}/healthz") as reply,
    ):
        return reply.status, await reply.json()


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[OmnivoxServer]:
    async with OmnivoxServer(settings_for(tmp_path), clock=running_clock(OPEN)) as server:
        yield server


async def test_embedded_default_is_healthy_and_says_what_is_disabled(
    embedded: OmnivoxServer,
) -> None:
    status, body = await healthz(embedded)
    assert status == 200 and body["status"] == "ok"
    deps = body["dependencies"]
    assert isinstance(deps, dict)
    assert deps["database"] == {"state": "ok"}
    assert deps["redis"]["state"] == "disabled" and "in-process" in deps["redis"]["detail"]
    assert deps["ami"]["state"] == "disabled"


@pytest.mark.redis
async def test_redis_configured_is_probed(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, redis_url="redis://127.0.0.1:6379/0")
    async with OmnivoxServer(settings) as server:
        status, body = await healthz(server)
    assert status == 200
    assert body["dependencies"]["redis"] == {"state": "ok"}  # type: ignore[index]


@pytest.mark.redis
async def test_two_deployments_on_one_redis_keep_to_their_namespace(tmp_path: Path) -> None:
    """Agent 1 of one deployment never gets the pops of agent 1 of another on the same Redis;
    each deployment's routing state lives under its own ``redis_prefix``."""
    prefixes = [f"omnivox:test:{secrets.token_hex(4)}:" for _ in range(2)]
    servers: list[OmnivoxServer] = []
    redis = aioredis.Redis()
    try:
        for name, prefix in zip("ab", prefixes, strict=True):
            (tmp_path / name).mkdir()
            settings = settings_for(
                tmp_path / name, redis_url="redis://127.0.0.1:6379/0", redis_prefix=prefix
            )
            servers.append(await OmnivoxServer(settings, clock=running_clock(OPEN)).__aenter__())
        a, b = servers
        assert a.store is not None and b.store is not None and a.router is not None
        ann_a, ann_b = await make_agent(a.store, "ann"), await make_agent(b.store, "ann")
        assert ann_a.id == ann_b.id  # the same id in two deployments
        await a.router.add_agent(ann_a)
        assert [k async for k in redis.scan_iter(match=f"{prefixes[0]}routing:*")]
        assert not [k async for k in redis.scan_iter(match=f"{prefixes[1]}routing:agent*")]
        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{b.http_port}"
            async with http.post(
                f"{base}/auth/login", json={"login": "ann", "password": "pw-ann"}
            ) as reply:
                token = (await reply.json())["token"]
            async with http.ws_connect(
                f"{base}/ws/agent", headers={"Authorization": f"Bearer {token}"}
            ) as ws:
                assert (await ws.receive_json(timeout=5))["type"] == "hello"
                assert a.http_runner is not None and b.http_runner is not None
                await a.http_runner.app[HUB].push(ann_a.id, sample_pop("deployment-a"))
                await b.http_runner.app[HUB].push(ann_b.id, sample_pop("deployment-b"))
                pops = []
                with contextlib.suppress(TimeoutError):
                    while True:
                        message = await ws.receive_json(timeout=1)
                        if message["type"] == "pop":
                            pops.append(message["pop"]["contact"]["call_id"])
        assert pops == ["deployment-b"]
    finally:
        for server in reversed(servers):
            await server.__aexit__(None, None, None)
        for prefix in prefixes:
            keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
            if keys:
                await redis.delete(*keys)
        await redis.aclose()


async def test_unreachable_ami_reports_503_but_serves(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    settings = settings_for(tmp_path, ami=AMISettings("127.0.0.1", dead_port, "u", "s"))
    async with OmnivoxServer(settings, clock=running_clock(OPEN)) as server:
        status, body = await healthz(server)
        assert server.fastagi is not None
        call = await run_call("127.0.0.1", server.fastagi.port, script="telecom", digits="0")
    assert status == 503 and body["status"] == "unavailable"
    assert body["dependencies"]["ami"]["state"] == "down"  # type: ignore[index]
    assert call.variables["OMNIVOX_QUEUE"] == "general"  # calls still go through the IVR


def test_port_in_use_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("OMNIVOX_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
        monkeypatch.setenv("OMNIVOX_SCENARIOS", str(ROOT / "scenarios"))
        monkeypatch.setenv("OMNIVOX_SOUNDS", str(tmp_path / "sounds"))
        monkeypatch.setenv("OMNIVOX_HTTP_BIND", "127.0.0.1:0")
        monkeypatch.setenv("OMNIVOX_FASTAGI_BIND", f"127.0.0.1:{port}")
        assert main(["serve"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"omnivox: FastAGI server cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


@pytest.mark.postgres
def test_unreachable_database_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    url = f"postgresql+asyncpg://postgres:secret@127.0.0.1:{dead_port}/test"
    monkeypatch.setenv("OMNIVOX_DATABASE_URL", url)
    assert main(["migrate"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("omnivox: ") and f"127.0.0.1:{dead_port}" in err
    assert "secret" not in err


async def test_scenario_edits_reload_and_a_broken_file_keeps_the_last_good_version(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    shutil.copy(ROOT / "scenarios" / "telecom.yaml", folder / "telecom.yaml")
    settings = settings_for(tmp_path, scenarios=folder)
    async with OmnivoxServer(settings, clock=running_clock(OPEN)) as server:
        assert server.scenarios is not None
        first = server.scenarios["telecom"].version
        good = (folder / "telecom.yaml").read_text()

        (folder / "telecom.yaml").write_text(good.replace("kind: menu", "kind: menuu", 1))
        with caplog.at_level(logging.ERROR, logger="omnivox"):
            await wait_for(lambda: "telecom.yaml:" in caplog.text)
        assert "scenario refused" in caplog.text
        assert server.scenarios["telecom"].version == first  # still serving the good one

        (folder / "telecom.yaml").write_text(good.replace("Northwind Cable", "Southwind Cable"))
        scenarios = server.scenarios
        await wait_for(lambda: scenarios["telecom"].version != first)
        assert server.fastagi is not None
        call = await run_call("127.0.0.1", server.fastagi.port, script="telecom", digits="0")
        assert call.variables["OMNIVOX_QUEUE"] == "general"


async def wait_for(condition: Callable[[], bool]) -> None:
    """Poll ``condition`` (the watcher polls files; nothing to subscribe to) for 10 s."""
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.1)


async def test_demo_shows_two_callers_hearing_different_orders(tmp_path: Path) -> None:
    import io

    out = io.StringIO()
    assert await run_demo(settings_for(tmp_path), out=out) == 0
    text = out.getvalue()
    blocks = {b.splitlines()[0]: b for b in text.split("\n\n") if b.strip()}
    ann = next(b for title, b in blocks.items() if title.startswith("Ann"))
    new = next(b for title, b in blocks.items() if title.startswith("A first-time caller"))
    assert "menu main_menu: 1=billing," in ann
    assert "billing moved up:" in ann
    assert "menu main_menu: 1=internet_support," in new and "6=billing" in new
    assert "not asked again: account_number" in ann
    assert "router: offered to Dana (billing 8)" in ann
    assert "router: waiting in billing" in new  # Dana already has Ann's call
    back = next(b for title, b in blocks.items() if title.startswith("Carol calls back"))
    assert "resumed at identify" in back


def test_demo_clock_is_always_inside_the_telecom_hours_and_monotonic() -> None:
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 3, 4, 0, 0, tzinfo=UTC)
    times = [demo_time(start + timedelta(minutes=37 * i)) for i in range(200)]
    assert times == sorted(times)
    hours = {(t + timedelta(hours=3)).hour for t in times}
    assert min(hours) >= 9 and max(hours) < 20


async def test_an_api_key_from_the_cli_opens_the_omnichannel_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_for(tmp_path)
    monkeypatch.setenv("OMNIVOX_DATABASE_URL", settings.database_url)
    assert (
        await asyncio.to_thread(
            main, ["apikey", "create", "chat widget", "--scope", "interactions:write"]
        )
        == 0
    )
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("ovx_")
    body = {
        "channel": "chat",
        "direction": "in",
        "intent": "billing",
        "idempotency_key": "chat-1",
        "identities": [{"kind": "phone", "value": "(415) 555-0123"}],
    }
    async with OmnivoxServer(settings) as server, aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{server.http_port}/api/interactions"
        async with http.post(url, json=body) as anonymous:
            assert anonymous.status == 401
        headers = {"Authorization": f"Bearer {key}"}
        async with http.post(url, json=body, headers=headers) as reply:
            assert reply.status == 201, await reply.text()
        assert server.store is not None
        customer = await server.store.find_by_identity("phone", "+14155550123")
        assert customer is not None
        page = await server.store.timeline(customer.id)
        assert [(i.channel, i.intent) for i in page.items] == [("chat", "billing")]
