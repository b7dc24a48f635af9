"""The router's HTTP API: agents (create, list, state) and the calls it holds.

``POST /api/agents``, ``GET /api/agents``, ``GET /api/contacts`` (state changes go through the
desktop's authenticated ``PUT /api/agents/{id}/state``, which calls :meth:`Router.set_state`).
Errors are 4xx with ``{"error": code, "message": reason, "field": name}``, the API's shape.
Creating agents needs an admin; the lists need a supervisor or an admin (signed in through
``/auth/login``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from customers.exceptions import Conflict, InvalidValue
from customers.store import CustomerStore
from omnivox.auth.http import require_principal
from routing.service import agent_input
from routing.service.router import Router

ROUTER = web.AppKey("router", Router)
STORE = web.AppKey("routing_store", CustomerStore)


_CODES = {400: "bad_request", 403: "forbidden", 409: "conflict", 422: "invalid"}


def _error(status: type[web.HTTPException], reason: str, field: str | None = None) -> Exception:
    """``{error: code, message: reason[, field]}``, the API's error shape."""
    body: dict[str, Any] = {"error": _CODES.get(status.status_code, "error"), "message": reason}
    if field:
        body["field"] = field
    return status(text=web.json_response(body).text, content_type="application/json")


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise _error(web.HTTPBadRequest, "body is not JSON") from None
    if not isinstance(data, dict):
        raise _error(web.HTTPBadRequest, "body must be a JSON object")
    return data


def _signed_in(request: web.Request, *roles: str) -> None:
    """401 unless an agent is signed in; 403 unless their role is one of ``roles``."""
    principal = require_principal(request)
    if roles and principal.role not in roles:
        raise _error(web.HTTPForbidden, f"this needs the role {' or '.join(roles)}")


async def create_agent(request: web.Request) -> web.Response:
    _signed_in(request, "admin")
    data = await _json(request)
    try:
        view = await agent_input.create_agent(request.app[STORE], request.app[ROUTER], data)
    except InvalidValue as exc:
        raise _error(web.HTTPUnprocessableEntity, str(exc), exc.field) from None
    except Conflict as exc:
        raise _error(web.HTTPConflict, str(exc), "login") from None
    return web.json_response(view, status=201)


async def list_agents(request: web.Request) -> web.Response:
    _signed_in(request, "supervisor", "admin")
    router = request.app[ROUTER]
    return web.json_response(await router.agents())


async def list_contacts(request: web.Request) -> web.Response:
    _signed_in(request, "supervisor", "admin")
    router = request.app[ROUTER]
    return web.json_response(await router.contacts())


def setup(app: web.Application, router: Router, store: CustomerStore) -> None:
    """Mount the router's routes on ``app``."""
    app[ROUTER] = router
    app[STORE] = store
    app.router.add_post("/api/agents", create_agent)
    app.router.add_get("/api/agents", list_agents)
    app.router.add_get("/api/contacts", list_contacts)
