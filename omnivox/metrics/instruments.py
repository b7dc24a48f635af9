"""The metrics Omnivox counts as things happen: routing decisions and their latency (from the
bus), AGI command latency (the FastAGI server's ``on_command`` hook), speech real-time factor
(the recogniser pool's ``on_session`` hook) and errors logged, by logger and exception type."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

DECISION_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
AGI_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0)
RTF_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 5.0)
OUTCOMES = {"routing.answered": "answered", "routing.abandoned": "abandoned"}


class Metrics:
    """Counters and histograms on one ``registry`` (never the global default one)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.decisions = Counter(
            "omnivox_routing_decisions",
            "Contacts offered to an agent by the router, by service",
            ["service"],
            registry=registry,
        )
        self.decision_seconds = Histogram(
            "omnivox_routing_decision_seconds",
            "Time of one decision round (snapshot and assignment) that offered a contact",
            buckets=DECISION_BUCKETS,
            registry=registry,
        )
        self.outcomes = Counter(
            "omnivox_routing_contacts",
            "Contacts answered or abandoned, by service",
            ["service", "outcome"],
            registry=registry,
        )
        self.agi_seconds = Histogram(
            "omnivox_agi_command_seconds",
            "FastAGI command round trip (sent to Asterisk's reply), by command",
            ["command"],
            buckets=AGI_BUCKETS,
            registry=registry,
        )
        self.speech_rtf = Histogram(
            "omnivox_speech_rtf",
            "Speech recognition real-time factor per session (recogniser time / audio time)",
            buckets=RTF_BUCKETS,
            registry=registry,
        )
        self.errors = Counter(
            "omnivox_errors",
            "Log records at ERROR or above, by logger and exception type ('log' without one)",
            ["logger", "kind"],
            registry=registry,
        )
        self.error_handler = ErrorCounter(self.errors)

    async def on_bus(self, topic: str, payload: Mapping[str, Any]) -> None:
        """EventBus listener: ``routing.offered`` (decisions, ``decision_ms``), outcomes."""
        service = str(payload.get("service") or "unknown")
        if topic == "routing.offered":
            self.decisions.labels(service).inc()
            ms = payload.get("decision_ms")
            if isinstance(ms, int | float) and not isinstance(ms, bool) and ms >= 0:
                self.decision_seconds.observe(ms / 1000)
        elif topic in OUTCOMES:
            self.outcomes.labels(service, OUTCOMES[topic]).inc()

    def observe_agi_command(self, name: str, seconds: float) -> None:
        """The FastAGI server's ``on_command`` hook."""
        self.agi_seconds.labels(name).observe(seconds)

    def observe_speech(self, audio_s: float, compute_s: float) -> None:
        """The recogniser pool's ``on_session`` hook."""
        if audio_s > 0:
            self.speech_rtf.observe(compute_s / audio_s)


class ErrorCounter(logging.Handler):
    """A logging handler that counts ERROR records; add it to the root logger."""

    def __init__(self, counter: Counter) -> None:
        super().__init__(level=logging.ERROR)
        self._counter = counter

    def emit(self, record: logging.LogRecord) -> None:
        try:
            exc = record.exc_info[0] if record.exc_info else None
            kind = exc.__name__ if exc is not None else "log"
            self._counter.labels(record.name, kind).inc()
        except Exception:  # a handler must never raise into the code that logged
            self.handleError(record)
