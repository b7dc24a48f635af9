"""Gauges read at scrape time: calls in the IVR, waiting contacts and the oldest wait per
service, agents by state. Prometheus collectors are synchronous and the router's read API is
async, so ``/metrics`` refreshes a :class:`LiveSnapshot` first and the collector reads it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

STATES = ("ready", "reserved", "on_call", "wrap_up", "not_ready", "offline")
UNANSWERED = ("waiting", "offered")


class RouterView(Protocol):
    """The router's read API (``routing.service.Router``)."""

    @property
    def services(self) -> Mapping[str, Any]: ...

    async def agents(self) -> list[dict[str, Any]]: ...

    async def contacts(self) -> list[dict[str, Any]]: ...


@dataclass
class LiveSnapshot:
    """The router's counts at the last refresh (kept when a refresh fails)."""

    source: RouterView | None = None
    waiting: dict[str, int] = field(default_factory=dict)
    oldest_wait_s: dict[str, float] = field(default_factory=dict)
    agents: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("omnivox.metrics"))

    async def refresh(self) -> None:
        if self.source is None:
            return
        try:
            agents = await self.source.agents()
            contacts = await self.source.contacts()
            services = list(self.source.services)
        except Exception:
            self.logger.exception("metrics: reading the router failed; serving the last counts")
            return
        waiting = dict.fromkeys(services, 0)
        oldest = dict.fromkeys(services, 0.0)
        for contact in contacts:
            if contact.get("phase") not in UNANSWERED:
                continue
            name = str(contact.get("service"))
            waiting[name] = waiting.get(name, 0) + 1
            oldest[name] = max(oldest.get(name, 0.0), float(contact.get("wait_s") or 0.0))
        by_state = dict.fromkeys(STATES, 0)
        for agent in agents:
            state = str(agent.get("state"))
            by_state[state] = by_state.get(state, 0) + 1
        self.waiting, self.oldest_wait_s, self.agents = waiting, oldest, by_state


class LiveCollector(Collector):
    """Gauges from ``snapshot`` and, when given, ``ivr_calls()`` (FastAGI calls running)."""

    def __init__(self, snapshot: LiveSnapshot, ivr_calls: Callable[[], int] | None = None) -> None:
        self.snapshot = snapshot
        self.ivr_calls = ivr_calls

    def collect(self) -> Iterator[Metric]:
        if self.ivr_calls is not None:
            yield GaugeMetricFamily(
                "omnivox_ivr_calls",
                "Calls in the IVR now (FastAGI calls running)",
                value=self.ivr_calls(),
            )
        if self.snapshot.source is None:
            return
        waiting = GaugeMetricFamily(
            "omnivox_waiting_contacts", "Contacts not yet answered, by service", labels=["service"]
        )
        for service, count in sorted(self.snapshot.waiting.items()):
            waiting.add_metric([service], count)
        yield waiting
        oldest = GaugeMetricFamily(
            "omnivox_oldest_wait_seconds",
            "Wait of the longest-waiting unanswered contact, by service (0 when none)",
            labels=["service"],
        )
        for service, seconds in sorted(self.snapshot.oldest_wait_s.items()):
            oldest.add_metric([service], seconds)
        yield oldest
        agents = GaugeMetricFamily("omnivox_agents", "Agents by state", labels=["state"])
        for state, count in self.snapshot.agents.items():
            agents.add_metric([state], count)
        yield agents
