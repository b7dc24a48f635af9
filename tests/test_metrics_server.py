"""The wiring in ``omnivox serve``: a real FastAGI call through the running server is timed in
``/metrics``, the router's services are there, and the wallboard is mounted behind sign-in."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from ivr.fastagi.client import run_call
from omnivox.server import OmnivoxServer
from tests.ivr_helpers import OPEN, running_clock
from tests.test_server import settings_for


async def test_served_metrics_and_wallboard(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    async with OmnivoxServer(settings, clock=running_clock(OPEN)) as server:
        assert server.fastagi is not None and server.router is not None
        call = await run_call("127.0.0.1", server.fastagi.port, script="telecom", digits="1")
        base = f"http://127.0.0.1:{server.http_port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/metrics") as reply:
                assert reply.status == 200
                text = await reply.text()
            async with http.get(f"{base}/wallboard") as reply:
                assert reply.status == 401
            async with http.get(f"{base}/ws/wallboard") as reply:
                assert reply.status == 401
    samples = [s for f in text_string_to_metric_families(text) for s in f.samples]
    timed = {
        s.labels["command"]: s.value
        for s in samples
        if s.name == "omnivox_agi_command_seconds_count"
    }
    assert timed == dict(Counter(call.names))  # every command of the call, once each
    assert [s.value for s in samples if s.name == "omnivox_ivr_calls"] == [0]
    waiting = {s.labels["service"] for s in samples if s.name == "omnivox_waiting_contacts"}
    assert waiting >= set(server.router.services)
