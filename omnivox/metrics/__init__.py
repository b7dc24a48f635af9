"""Prometheus metrics at ``/metrics`` on a registry passed in (never the global default).

Wiring: ``metrics = Metrics(CollectorRegistry())``; ``bus.listeners.append(metrics.on_bus)``;
``FastAGIServer(..., on_command=metrics.observe_agi_command)``;
``RecognizerPool(..., on_session=metrics.observe_speech)``;
``logging.getLogger().addHandler(metrics.error_handler)``;
``setup(app, metrics, router=router, ivr_calls=lambda: fastagi.active_calls)``.
"""

from __future__ import annotations

from omnivox.metrics.http import setup
from omnivox.metrics.instruments import ErrorCounter, Metrics
from omnivox.metrics.live import LiveCollector, LiveSnapshot

__all__ = ["ErrorCounter", "LiveCollector", "LiveSnapshot", "Metrics", "setup"]
