"""Mount the admin pages: ``setup(app, scenarios=..., renderer=..., store=..., router=...,
routing_path=...)``. Needs the session middleware of ``omnivox.auth.http`` (the desktop's
``setup`` mounts it) — the pages are for signed-in admins only."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from customers.store import CustomerStore
from ivr.prompts import PromptRenderer
from ivr.scenario import ScenarioSet
from omnivox.admin import agents_http, scenarios_http, services_http
from omnivox.admin.common import ADMIN, AdminContext, AdminRouter, security_headers
from omnivox.admin.graphviz import Graphviz

STATIC = Path(__file__).with_name("static")


async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/admin/scenarios")


def setup(
    app: web.Application,
    *,
    scenarios: ScenarioSet,
    renderer: PromptRenderer,
    store: CustomerStore,
    router: AdminRouter,
    routing_path: Path,
    graphviz: Graphviz | None = None,
) -> None:
    """Mount ``/admin`` (scenarios, agents, services) and its stylesheet on ``app``."""
    app[ADMIN] = AdminContext(
        scenarios=scenarios,
        renderer=renderer,
        store=store,
        router=router,
        routing_path=Path(routing_path),
        graphviz=graphviz or Graphviz(),
        services_lock=asyncio.Lock(),
    )
    app.middlewares.append(security_headers)
    app.router.add_get("/admin", home)
    scenarios_http.setup(app)
    agents_http.setup(app)
    services_http.setup(app)
    app.router.add_static("/admin/static/", STATIC, name="admin_static")
