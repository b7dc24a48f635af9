"""The reports wired into the running server: a call through the real FastAGI server and IVR
is handed to the router, the recorder keeps it, and a supervisor reads it over HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from ivr.fastagi.client import run_call
from omnivox.config import Bind, Settings
from omnivox.server import OmnivoxServer
from tests.desktop_helpers import make_agent
from tests.ivr_helpers import OPEN, running_clock

ROOT = Path(__file__).resolve().parent.parent


def settings_for(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'omnivox.db'}",
        fastagi_bind=Bind("127.0.0.1", 0),
        http_bind=Bind("127.0.0.1", 0),
        scenarios=ROOT / "scenarios",
        sounds=tmp_path / "sounds",
        routing=ROOT / "config" / "routing.yaml",
    )


async def test_a_transferred_call_shows_in_the_reports(tmp_path: Path) -> None:
    async with OmnivoxServer(settings_for(tmp_path), clock=running_clock(OPEN)) as server:
        assert server.store is not None and server.fastagi is not None
        await make_agent(server.store, "sue", role="supervisor")
        call = await run_call("127.0.0.1", server.fastagi.port, script="telecom", digits="0")
        assert call.variables["OMNIVOX_QUEUE"] == "general"
        base = f"http://127.0.0.1:{server.http_port}"
        period = "from=2025-03-05&to=2025-03-05"
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{base}/auth/login", json={"login": "sue", "password": "pw-sue"}
            ) as reply:
                token = (await reply.json())["token"]
            headers = {"Authorization": f"Bearer {token}"}
            for _ in range(50):  # the hand-over is published once the journey is stored
                async with http.get(f"{base}/api/reports/services?{period}", headers=headers) as r:
                    assert r.status == 200, await r.text()
                    services = await r.json()
                if services["rows"]:
                    break
                await asyncio.sleep(0.1)
            async with http.get(f"{base}/api/reports/ivr?{period}", headers=headers) as r:
                ivr = await r.json()
    row = services["rows"][0]
    assert (row["service"], row["offered"], row["answered"]) == ("general", 1, 0)
    assert row["sl_target_s"] == 20.0  # config/routing.yaml's default target
    telecom = ivr["rows"][0]
    assert (telecom["scenario"], telecom["journeys"], telecom["transferred"]) == (
        "telecom",
        1,
        1,
    )
