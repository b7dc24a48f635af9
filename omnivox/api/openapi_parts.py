"""Building blocks of the OpenAPI entries for routes other modules mount
(:mod:`omnivox.api.openapi_mounted`): a :class:`Doc` per operation and its OpenAPI form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omnivox.api.schemas import ref

# status -> (description, schema: a component name, an inline schema, or None for any object)
Responses = dict[int, tuple[str, str | dict[str, Any] | None]]

ERRORS = {
    400: "bad request: not JSON, or a bad path or query parameter (named in field)",
    401: "not signed in, or the session ended (the reason is in the message)",
    403: "the role does not allow it (named in the message), or not the chat's session",
    404: "no such agent, contact, chat, report or scenario",
    409: "conflict with the current state (named in the message), e.g. the chat ended",
    410: "the link expired or was used",
    422: "a body field is invalid (named in field)",
    429: "too many failed sign-ins: try again later",
    503: "not set up on this server",
}


@dataclass(frozen=True)
class Doc:
    """One operation: ``operation_id`` is ``<handler module's last part>_<handler name>``."""

    method: str
    path: str
    operation_id: str
    summary: str
    scope: str | None  # a role scope for session routes; None: no sign-in needed
    body: str | None = None
    ok: Responses = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    params: tuple[dict[str, Any], ...] = ()
    media: str = "application/json"
    session: bool = True  # False: not a staff route (the scope is then None)


def path_param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }


def query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema}


def object_of(**properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": sorted(properties), "properties": properties}


def security(doc: Doc) -> list[dict[str, list[str]]]:
    """A session token as Bearer or the session cookie, with the role scope that suffices."""
    if doc.scope is None:
        return []
    return [{"bearer": [doc.scope]}, {"session": [doc.scope]}]


def operation(doc: Doc) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": doc.operation_id,
        "summary": doc.summary,
        "responses": {},
    }
    if doc.params:
        op["parameters"] = list(doc.params)
    if doc.body:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(doc.body)}},
        }
    for status, (description, schema) in doc.ok.items():
        shape = ref(schema) if isinstance(schema, str) else schema or {"type": "object"}
        op["responses"][str(status)] = {
            "description": description,
            "content": {doc.media: {"schema": shape}},
        }
    for status in doc.errors:
        op["responses"][str(status)] = {
            "description": ERRORS[status],
            "content": {"application/json": {"schema": ref("Error")}},
        }
    op["security"] = security(doc)
    return op


def paths(docs: tuple[Doc, ...]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for doc in docs:
        found.setdefault(doc.path, {})[doc.method.lower()] = operation(doc)
    return found


_TEXT = {"type": "string"}
_INT = {"type": "integer"}
_SKILLS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}}

# the request bodies of the mounted routes
SCHEMAS: dict[str, dict[str, Any]] = {
    "Login": object_of(login=_TEXT, password=_TEXT),
    "AgentState": {
        "type": "object",
        "required": ["state"],
        "properties": {
            "state": {"type": "string", "description": "ready, not_ready, wrap_up, ..."},
            "reason": {"type": "string", "maxLength": 100, "description": "for not_ready"},
        },
    },
    "NewAgent": {
        "type": "object",
        "required": ["login", "endpoint"],
        "properties": {
            "login": _TEXT,
            "name": _TEXT,
            "endpoint": {"type": "string", "description": "e.g. PJSIP/1001"},
            "role": {"enum": ["agent", "supervisor", "admin"]},
            "team": {"type": ["string", "null"]},
            "password": _TEXT,
            "skills": _SKILLS,
        },
    },
    "AgentChanges": {
        "type": "object",
        "description": "any of name, role, team (a new role applies to open sessions at once)",
        "properties": {
            "name": _TEXT,
            "role": {"enum": ["agent", "supervisor", "admin"]},
            "team": {"type": ["string", "null"]},
        },
    },
    "AgentSkills": {
        "type": "object",
        "required": ["skills"],
        "properties": {"skills": {"oneOf": [_SKILLS, {"type": "string"}]}},
    },
    "CustomerLink": {
        "type": "object",
        "required": ["action"],
        "properties": {
            "action": {"enum": ["create", "link"]},
            "name": {"type": "string", "description": "for create"},
            "customer_id": {"type": "integer", "description": "for link"},
        },
    },
    "Wrapup": {
        "type": "object",
        "required": ["call_id", "disposition"],
        "properties": {
            "call_id": {"type": "string", "description": "the contact: a call id or a chat id"},
            "disposition": {"type": "string", "maxLength": 64},
            "outcome": {"enum": ["resolved", "unresolved"]},
            "notes": {"type": "string", "maxLength": 20000},
            "topic": {"type": "string", "maxLength": 200},
        },
    },
    "AgentReply": object_of(text={"type": "string", "minLength": 1}),
    "RoutingFile": {
        "type": "object",
        "required": ["text"],
        "properties": {
            "text": {"type": "string", "description": "the routing file's YAML"},
            "version": {"type": "string", "description": "the version the edit started from"},
        },
    },
}
