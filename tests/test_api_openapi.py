"""The OpenAPI document matches what is mounted: every route of the whole server is documented
(but for the pages, assets, websockets and metrics listed in :data:`NOT_API`) and every
documented operation is mounted, with the scope its handler really requires."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from aiohttp import web

from customers.store import CustomerStore
from omnivox.api import ROUTES, build, setup
from omnivox.config import Bind, Settings
from omnivox.server import OmnivoxServer
from tests.api_helpers import check_openapi_schema, serve_api

ROOT = Path(__file__).resolve().parent.parent

# Routes of the running server that are not JSON API operations, so not in the document. A new
# route missing from the document fails the test below unless it is added here, with a reason.
NOT_API: dict[tuple[str, str], str] = {
    ("GET", "/"): "the sign-in page (HTML)",
    ("GET", "/desktop"): "the agent desktop page (HTML)",
    ("GET", "/admin"): "the admin home page (HTML)",
    ("GET", "/wallboard"): "the wallboard page (HTML)",
    ("GET", "/reports"): "the reports page (HTML)",
    ("GET", "/continue/{token}"): "the customer's chat page behind the SMS link (HTML)",
    ("GET", "/reports/static/{file}"): "the reports page's scripts (plotly.js)",
    # OpenAPI cannot describe a websocket's messages: see omnivox.desktop.ws, omnivox.wallboard
    ("GET", "/ws/agent"): "the desktop's websocket (pops, state, chat)",
    ("GET", "/ws/wallboard"): "the wallboard's websocket",
    ("GET", "/metrics"): "Prometheus text exposition, for the scraper",
}
# aiohttp static directories (add_static: /desktop/static/, /admin/static/, ...) are assets too:
# _routes_of skips them by their resource type, whatever their prefix.


def _mounted(app: web.Application) -> dict[tuple[str, str], Any]:
    found = {}
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if path.startswith("/api/") and route.method != "HEAD":
            found[(route.method, path)] = route.handler
    return found


def _documented(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def _routes_of(app: web.Application) -> dict[tuple[str, str], Any]:
    found = {}
    for route in app.router.routes():
        resource = route.resource
        if resource is None or isinstance(resource, web.StaticResource) or route.method == "HEAD":
            continue
        found[(route.method, resource.canonical)] = route.handler
    return found


def _operation_id(handler: Any) -> str:
    return f"{handler.__module__.rsplit('.', 1)[-1]}_{handler.__name__}"


async def test_every_route_of_the_running_server_is_documented(tmp_path: Path) -> None:
    """The whole server (desktop, chats, switch, reports, admin, wallboard mounted): each route
    is in the document under its handler's operation id, or listed in NOT_API; the document
    has nothing that is not mounted."""
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'omnivox.db'}",
        fastagi_bind=Bind("127.0.0.1", 0),
        http_bind=Bind("127.0.0.1", 0),
        scenarios=ROOT / "scenarios",
        sounds=tmp_path / "sounds",
        routing=ROOT / "config" / "routing.yaml",
    )
    async with OmnivoxServer(settings) as server:
        assert server.http_runner is not None
        mounted = _routes_of(server.http_runner.app)
    documented = _documented(build())
    assert ("GET", "/desktop/chats/{chat_id}") in mounted  # the desktop and chats are mounted
    undocumented = set(mounted) - set(documented) - set(NOT_API)
    assert not undocumented, f"routes missing from the OpenAPI document: {sorted(undocumented)}"
    assert not set(documented) - set(mounted), "documented but not mounted"
    assert not set(NOT_API) - set(mounted), "NOT_API names a route that is gone"
    assert not set(NOT_API) & set(documented), "a documented route is also listed as NOT_API"
    for (method, path), operation in documented.items():
        handler = _operation_id(mounted[(method, path)])  # a second method: id_<method>
        assert operation["operationId"] in (handler, f"{handler}_{method.lower()}"), path


def test_every_mounted_route_is_documented_and_vice_versa(sqlite_store: CustomerStore) -> None:
    app = web.Application()
    setup(app, sqlite_store)
    mounted, documented = _mounted(app), _documented(build())
    assert set(mounted) == {(route.method, route.path) for route in ROUTES}
    assert len(mounted) == len(ROUTES)
    for key, handler in mounted.items():
        security = documented[key]["security"]
        scope = getattr(handler, "required_scope", None)
        assert security == ([{"bearer": [scope]}] if scope else []), key


BODILESS = {
    ("POST", "/api/merges/{id}/undo"),
    ("POST", "/auth/logout"),
    ("POST", "/desktop/chats/{chat_id}/end"),
    ("POST", "/admin/scenarios/reload"),
}


def test_the_document_is_consistent_openapi_3_1() -> None:
    document = build()
    assert document["openapi"] == "3.1.0"
    json.dumps(document)  # serialisable as served
    schemas = document["components"]["schemas"]
    for schema in schemas.values():
        check_openapi_schema(schema)
    for ref in _refs(document):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
    ids = [op["operationId"] for op in _documented(document).values()]
    assert len(ids) == len(set(ids))
    for (method, path), operation in _documented(document).items():
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert names == set(re.findall(r"\{([^}]+)\}", path)), path
        writes = method in ("POST", "PUT", "PATCH") and (method, path) not in BODILESS
        assert ("requestBody" in operation) == writes, (method, path)


async def test_served_document_is_the_built_one(sqlite_store: CustomerStore) -> None:
    async with serve_api(sqlite_store) as api:
        served = await api.call("GET", "/api/openapi.json", headers={}, status=200)
    assert served == json.loads(json.dumps(build()))
