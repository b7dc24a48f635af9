"""``GET /metrics`` scraped over HTTP and parsed with prometheus_client's own parser: the values
match what the real router did on the real bus, and nothing lands in the global registry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import prometheus_client
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from customers.records import AgentRecord
from omnivox import metrics
from omnivox.bus import EventBus
from omnivox.metrics import Metrics
from routing.service import Router
from routing.state import MemoryState
from tests.wallboard_helpers import SERVICES, ami, transfer


def record(aid: int, skills: dict[str, int]) -> AgentRecord:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    return AgentRecord(
        aid, f"a{aid}", f"Agent {aid}", f"PJSIP/a{aid}", "agent", None, created, skills
    )


@asynccontextmanager
async def scraping(ivr_calls: Any = None) -> AsyncIterator[tuple[TestClient, Router, EventBus]]:
    bus = EventBus()
    router = Router(MemoryState(SERVICES), publish=bus.publish)
    registry = CollectorRegistry()
    m = Metrics(registry)
    bus.listeners += [router.on_bus, m.on_bus]
    app = web.Application()
    metrics.setup(app, m, router=router, ivr_calls=ivr_calls)
    client = TestClient(TestServer(app))
    await client.start_server()
    await router.start()
    try:
        yield client, router, bus
    finally:
        await router.close()
        await client.close()


async def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics`` by (name, sorted labels)."""
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def at(samples: dict, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


async def test_scrape_counts_waiting_agents_decisions_and_outcomes() -> None:
    calls_in_ivr = [3]
    async with scraping(ivr_calls=lambda: calls_in_ivr[0]) as (client, router, bus):
        await router.add_agent(record(1, {"billing": 7}))
        await router.add_agent(record(2, {"tv": 6}))
        await router.add_agent(record(3, {"billing": 5}))
        await router.set_state("3", "not_ready", "lunch")

        samples = await scrape(client)
        assert at(samples, "omnivox_ivr_calls") == 3
        assert at(samples, "omnivox_waiting_contacts", service="billing") == 0
        assert at(samples, "omnivox_agents", state="offline") == 2
        assert at(samples, "omnivox_agents", state="not_ready") == 1
        assert ("omnivox_routing_decision_seconds_count", ()) in samples
        assert at(samples, "omnivox_routing_decision_seconds_count") == 0

        for call_id in ("b1", "b2"):
            await bus.publish("ivr.transfer", transfer(call_id))
        await bus.publish("ivr.transfer", transfer("t1", "tv_support"))
        calls_in_ivr[0] = 0
        samples = await scrape(client)
        assert at(samples, "omnivox_ivr_calls") == 0
        assert at(samples, "omnivox_waiting_contacts", service="billing") == 2
        assert at(samples, "omnivox_waiting_contacts", service="tv_support") == 1
        assert at(samples, "omnivox_oldest_wait_seconds", service="billing") >= 0

        await router.set_state("1", "ready")  # offered b1 at once: one decision
        await router.on_ami_event(ami("DialEnd", Uniqueid="b1", DialStatus="ANSWER"))
        await router.on_ami_event(ami("Hangup", Uniqueid="b2", Cause="16"))  # gave up
        samples = await scrape(client)
        assert at(samples, "omnivox_routing_decisions_total", service="billing") == 1
        assert at(samples, "omnivox_routing_decision_seconds_count") == 1
        assert 0 < at(samples, "omnivox_routing_decision_seconds_sum") < 1
        routed = "omnivox_routing_contacts_total"
        assert at(samples, routed, service="billing", outcome="answered") == 1
        assert at(samples, routed, service="billing", outcome="abandoned") == 1
        assert at(samples, "omnivox_waiting_contacts", service="billing") == 0
        assert at(samples, "omnivox_waiting_contacts", service="tv_support") == 1
        assert at(samples, "omnivox_agents", state="on_call") == 1
        assert at(samples, "omnivox_agents", state="offline") == 1

    # the registry passed in holds them; the process-wide default registry does not
    assert prometheus_client.REGISTRY.get_sample_value("omnivox_ivr_calls") is None


async def test_decision_latency_is_taken_from_the_payload_when_present() -> None:
    m = Metrics(CollectorRegistry())
    await m.on_bus("routing.offered", {"service": "billing", "decision_ms": 12.5})
    await m.on_bus("routing.offered", {"service": "billing"})  # an older router: no latency
    await m.on_bus("routing.offered", {"service": "billing", "decision_ms": "fast"})
    registry = m.registry
    assert registry.get_sample_value("omnivox_routing_decisions_total", {"service": "billing"}) == 3
    assert registry.get_sample_value("omnivox_routing_decision_seconds_count") == 1
    assert registry.get_sample_value("omnivox_routing_decision_seconds_sum") == 0.0125
    assert registry.get_sample_value("omnivox_routing_decision_seconds_bucket", {"le": "0.01"}) == 0
    assert (
        registry.get_sample_value("omnivox_routing_decision_seconds_bucket", {"le": "0.025"}) == 1
    )


async def test_without_router_or_ivr_only_the_event_metrics_are_served() -> None:
    m = Metrics(CollectorRegistry())
    app = web.Application()
    metrics.setup(app, m)
    async with TestClient(TestServer(app)) as client:
        samples = await scrape(client)
    names = {name for name, _ in samples}
    assert "omnivox_ivr_calls" not in names and "omnivox_agents" not in names
    assert "omnivox_agi_command_seconds_count" not in names  # no command seen: no label yet
    assert "omnivox_speech_rtf_count" in names
