"""The routes of the omnichannel API and the OpenAPI 3.1 document describing them.

:data:`ROUTES` is what :func:`omnivox.api.setup` mounts and what the document lists; a test
checks the mounted application against the document both ways.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from customers.matching import RULES
from omnivox.api import (
    calls,
    customers,
    interactions,
    merges,
    openapi_mounted,
    openapi_parts,
    privacy,
    qa_agents,
)
from omnivox.api.errors import Handler
from omnivox.api.schemas import COMPONENTS, ref
from omnivox.switch import http as switch_http

# status -> (description, schema: a component name, an inline schema, or None for any object)
Responses = dict[int, tuple[str, str | dict[str, Any] | None]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    scope: str | None
    body: str | None = None
    ok: Responses = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    params: tuple[dict[str, Any], ...] = ()


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema}


def _object(**properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": sorted(properties), "properties": properties}


ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
MAYBE_RULES = "; ".join(f"{kind}: {text}" for kind, text in RULES.items())


async def document(request: web.Request) -> web.Response:
    """``GET /api/openapi.json``: this document (no key needed)."""
    return web.json_response(build())


ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/interactions",
        interactions.ingest,
        "Ingest an interaction from another channel (idempotent)",
        "interactions:write",
        "NewInteraction",
        {
            201: ("stored; match says how the customer was found", "IngestResult"),
            200: ("the idempotency key was used before: the stored interaction", "IngestResult"),
        },
        (400, 401, 403, 404, 409, 410, 422),
        ({"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}},),
    ),
    Route(
        "POST",
        "/api/customers",
        customers.create,
        "Create a customer",
        "customers:write",
        "NewCustomer",
        {201: ("created", _object(customer=ref("Customer")))},
        (400, 401, 403, 409, 422),
    ),
    Route(
        "GET",
        "/api/customers",
        customers.search,
        f"Find the customer of an identity: known (exact) or maybe ({MAYBE_RULES})",
        "customers:read",
        ok={200: ("the match and its candidates", "SearchResult")},
        errors=(400, 401, 403),
        params=(
            _query(
                "identity",
                "kind:value, e.g. phone:(202) 555-0143 (any national form), email:Ann@x.com",
                {"type": "string"},
            )
            | {"required": True},
        ),
    ),
    Route(
        "GET",
        "/api/customers/{id}",
        customers.read,
        "A customer (an old merged id resolves to the survivor) with the paged timeline",
        "customers:read",
        ok={200: ("the customer", "CustomerView")},
        errors=(400, 401, 403, 404, 410),
        params=(
            ID,
            _query("limit", "items per page, 1..500 (default 50)", {"type": "integer"}),
            _query("before", "next_cursor of the previous page", {"type": "string"}),
        ),
    ),
    Route(
        "POST",
        "/api/customers/{id}/merge",
        merges.merge,
        "Merge another customer into this one (recorded, undoable)",
        "customers:write",
        "MergeRequest",
        {201: ("merged", _object(merge=ref("Merge"), customer=ref("Customer")))},
        (400, 401, 403, 404, 409, 410, 422),
        (ID,),
    ),
    Route(
        "POST",
        "/api/merges/{id}/undo",
        merges.undo,
        "Undo a merge: split the merged customer back exactly",
        "merges:undo",
        ok={
            200: (
                "split back",
                _object(merge=ref("Merge"), survivor=ref("Customer"), restored=ref("Customer")),
            )
        },
        errors=(400, 401, 403, 404, 409),
        params=(ID,),
    ),
    Route(
        "GET",
        "/api/customers/{id}/export",
        privacy.export,
        "Everything held about the customer as one JSON document (audited)",
        "privacy",
        ok={200: ("the export", "Export")},
        errors=(400, 401, 403, 404, 410),
        params=(ID,),
    ),
    Route(
        "DELETE",
        "/api/customers/{id}",
        privacy.erase,
        "Erase the customer: personal data removed, anonymous counts kept (audited)",
        "privacy",
        ok={200: ("erased", _object(erasure=ref("Erasure")))},
        errors=(400, 401, 403, 404, 410),
        params=(ID,),
    ),
    Route(
        "POST",
        "/api/continuations/{token}",
        switch_http.open_chat,
        "Open the chat continuing a call from its SMS link (the token is the credential)",
        None,
        "ContinuationOpen",
        {
            201: ("opened: the call's context and the chat session", "Continuation"),
            200: ("this session opened it before: the same chat", "Continuation"),
        },
        (400, 404, 409, 410, 422, 503),
        (TOKEN,),
    ),
    Route(
        "POST",
        "/api/continuations/{token}/messages",
        switch_http.post_message,
        "The customer writes in the chat (stored on the chat interaction)",
        None,
        "ChatMessage",
        {201: ("stored", None)},
        (400, 403, 404, 422, 503),
        (TOKEN,),
    ),
    Route(
        "GET",
        "/api/calls/{call_id}/routing",
        calls.routing,
        "What the router did with a call (by the IVR channel's uniqueid) and the agent's pop",
        calls.SCOPE,
        ok={200: ("the routing decision, its events and the screen-pop", "CallRouting")},
        errors=(400, 401, 403, 404, 503),
        params=(
            {
                "name": "call_id",
                "in": "path",
                "required": True,
                "description": "the IVR channel's uniqueid (the journey's call id)",
                "schema": {"type": "string", "pattern": calls.CALL_ID.pattern},
            },
        ),
    ),
    Route(
        "GET",
        "/api/qa/agents",
        qa_agents.list_agents,
        "The stand-in agents (phones Local/<digits>@agent-sim) and the skills services require",
        qa_agents.SCOPE,
        ok={200: ("the stand-in agents, for omnivox simulate", "QaAgents")},
        errors=(401, 403, 503),
    ),
    Route(
        "PUT",
        "/api/qa/agents/{login}",
        qa_agents.put_agent,
        "Create or re-skill a stand-in agent and set it ready, not ready or offline",
        qa_agents.SCOPE,
        "QaAgentInput",
        {201: ("created", "QaAgent"), 200: ("updated", "QaAgent")},
        (400, 401, 403, 409, 422, 503),
        (
            {
                "name": "login",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": qa_agents.LOGIN.pattern},
            },
        ),
    ),
    Route(
        "GET",
        "/api/openapi.json",
        document,
        "This OpenAPI document",
        None,
        ok={200: ("OpenAPI 3.1", None)},
    ),
)


def _operation(route: Route) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": f"{route.handler.__module__.rsplit('.', 1)[-1]}_{route.handler.__name__}",
        "summary": route.summary,
        "responses": {},
    }
    if route.params:
        op["parameters"] = list(route.params)
    if route.body:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(route.body)}},
        }
    for status, (description, schema) in route.ok.items():
        shape = ref(schema) if isinstance(schema, str) else schema or {"type": "object"}
        content = {"application/json": {"schema": shape}}
        op["responses"][str(status)] = {"description": description, "content": content}
    for status in route.errors:
        op["responses"][str(status)] = {
            "description": _ERRORS[status],
            "content": {"application/json": {"schema": ref("Error")}},
        }
    op["security"] = [{"bearer": [route.scope]}] if route.scope else []
    return op


_ERRORS = {
    400: "bad request: not JSON, or a bad path or query parameter (named in field)",
    401: "no or invalid credentials",
    403: "the key or agent lacks the scope (named in the message), or not the chat's session",
    404: "no such customer, merge, link or call",
    409: "conflict: an identity belongs to another customer, a merge cannot happen now, or"
    " the login is not a stand-in agent's",
    410: "the customer was erased, or the link expired or was used",
    422: "a body field is invalid (named in field)",
    503: "not set up on this server",
}


def build() -> dict[str, Any]:
    """The OpenAPI 3.1 document of :data:`ROUTES`."""
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    for path, operations in openapi_parts.paths(openapi_mounted.DOCS).items():
        paths.setdefault(path, {}).update(operations)  # routes other modules mount
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Omnivox omnichannel API",
            "version": "1",
            "description": (
                "Customers, identities and interactions from every channel. Send an API key "
                "as 'Authorization: Bearer ovx_...'; each operation names the scope it needs. "
                "Errors are JSON {error, message, field}."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": (
                COMPONENTS
                | switch_http.SCHEMAS
                | calls.SCHEMAS
                | qa_agents.SCHEMAS
                | openapi_mounted.SCHEMAS
            ),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "an API key (ovx_...) or an agent's session token",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "omnivox_session",
                    "description": "the desktop's session cookie (set by POST /auth/login)",
                },
            },
        },
    }
