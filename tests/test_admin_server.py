"""The admin pages in the running server (``omnivox serve`` wiring): the shipped scenarios
listed as served, and ``POST /admin/agents`` refusing bad input exactly as ``POST /api/agents``."""

from __future__ import annotations

import shutil
from pathlib import Path

import aiohttp
import pytest

from omnivox.server import OmnivoxServer
from tests.desktop_helpers import make_agent
from tests.ivr_helpers import OPEN, running_clock
from tests.test_server import ROOT, settings_for

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


async def test_served_admin_pages_share_the_apis_checks(tmp_path: Path) -> None:
    routing = tmp_path / "routing.yaml"
    shutil.copy(ROOT / "config" / "routing.yaml", routing)
    settings = settings_for(tmp_path, routing=routing)
    async with OmnivoxServer(settings, clock=running_clock(OPEN)) as server:
        assert server.store is not None
        await make_agent(server.store, "root", role="admin", team=None)
        base = f"http://127.0.0.1:{server.http_port}"
        async with aiohttp.ClientSession(base) as http:
            async with http.get("/admin/scenarios", headers={"Accept": "application/json"}) as r:
                assert r.status == 401
            async with http.post("/auth/login", json={"login": "root", "password": "pw-root"}) as r:
                token = (await r.json())["token"]
            auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            async with http.get("/admin/scenarios", headers=auth) as r:
                listing = await r.json()
            by_name = {s["name"]: s for s in listing["scenarios"]}
            for name in ("telecom", "bank_card"):
                assert by_name[name]["valid"], by_name[name]["problems"]
                assert by_name[name]["served_version"] == server.scenarios[name].version  # type: ignore[index]
            bad = {"login": "kim", "name": "Kim", "endpoint": "nowhere", "skills": {"tv": 3}}
            async with http.post("/api/agents", json=bad, headers=auth) as r:
                api = (r.status, await r.json())
            async with http.post("/admin/agents", json=bad, headers=auth) as r:
                admin = (r.status, await r.json())
            assert api[0] == admin[0] == 422
            assert api[1]["field"] == admin[1]["field"] == "endpoint"
            assert api[1]["message"] == admin[1]["message"]  # the same words from the same check
            assert api[1]["error"] == admin[1]["error"] == "invalid"  # and the same shape
            for missing in ("login", "name", "endpoint"):
                async with http.post("/api/agents", json=bad | {missing: " "}, headers=auth) as r:
                    assert (r.status, (await r.json())["field"]) == (422, missing)
