"""The OpenAPI document matches what is mounted: every /api route is documented and every
documented operation is mounted, with the scope its handler really requires."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from customers.store import CustomerStore
from omnivox.api import build, setup
from tests.api_helpers import check_openapi_schema, serve_api


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


def test_every_mounted_route_is_documented_and_vice_versa(sqlite_store: CustomerStore) -> None:
    app = web.Application()
    setup(app, sqlite_store)
    mounted, documented = _mounted(app), _documented(build())
    assert set(mounted) == set(documented)
    assert len(mounted) == 12
    for key, handler in mounted.items():
        security = documented[key]["security"]
        scope = getattr(handler, "required_scope", None)
        assert security == ([{"bearer": [scope]}] if scope else []), key


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
        assert names == set(part[1:-1] for part in path.split("/") if part.startswith("{")), path
        assert ("requestBody" in operation) == (method in ("POST",) and "undo" not in path)


async def test_served_document_is_the_built_one(sqlite_store: CustomerStore) -> None:
    async with serve_api(sqlite_store) as api:
        served = await api.call("GET", "/api/openapi.json", headers={}, status=200)
    assert served == json.loads(json.dumps(build()))
