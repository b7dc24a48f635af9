"""``GET /metrics``: the Prometheus text exposition of one registry."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from omnivox.metrics.instruments import Metrics
from omnivox.metrics.live import LiveCollector, LiveSnapshot, RouterView

METRICS = web.AppKey("metrics", Metrics)
SNAPSHOT = web.AppKey("metrics_snapshot", LiveSnapshot)
REFRESH_TIMEOUT_S = 2.0
log = logging.getLogger("omnivox.metrics")


async def scrape(request: web.Request) -> web.Response:
    snapshot = request.app[SNAPSHOT]
    try:
        async with asyncio.timeout(REFRESH_TIMEOUT_S):
            await snapshot.refresh()
    except TimeoutError:
        log.warning("metrics: the router did not answer within %s s", REFRESH_TIMEOUT_S)
    body = generate_latest(request.app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def setup(
    app: web.Application,
    metrics: Metrics,
    *,
    router: RouterView | None = None,
    ivr_calls: Callable[[], int] | None = None,
) -> None:
    """Mount ``GET /metrics``; gauges of the router (read at each scrape) and of the IVR's
    running calls are added to ``metrics.registry`` when given."""
    snapshot = LiveSnapshot(router)
    metrics.registry.register(LiveCollector(snapshot, ivr_calls))
    app[METRICS] = metrics
    app[SNAPSHOT] = snapshot
    app.router.add_get("/metrics", scrape)
