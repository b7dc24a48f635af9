"""``GET /healthz``: 200 with each dependency's state when all configured ones answer, else 503."""

from __future__ import annotations

from aiohttp import web

from omnivox.health import Health

HEALTH = web.AppKey("health", Health)
READY = web.AppKey("ready", dict)


async def healthz(request: web.Request) -> web.Response:
    ready = request.app[READY].get("ready", False)
    states = await request.app[HEALTH].check()
    healthy = ready and all(s.state != "down" for s in states.values())
    body = {
        "status": "ok" if healthy else ("starting" if not ready else "unavailable"),
        "dependencies": {name: s.to_dict() for name, s in states.items()},
    }
    return web.json_response(body, status=200 if healthy else 503)


def setup(app: web.Application, health: Health) -> None:
    """Mount the health endpoint on ``app``."""
    app[HEALTH] = health
    app[READY] = {"ready": False}
    app.router.add_get("/healthz", healthz)
