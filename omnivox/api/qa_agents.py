"""Stand-in agents for QA on a running server: ``GET /api/qa/agents`` and
``PUT /api/qa/agents/{login}`` (scope ``agents:write``), for ``omnivox simulate --server-url``.

A QA run puts the agents its scripts declare on duty (created or re-skilled, then ready) and
takes them off duty afterwards. Only *simulated* agents are managed here: their phone is
``Local/<digits>@agent-sim`` (the dialplan's stand-in phones: ``1XXX`` answer, ``9XXX`` never
do), their role is ``agent`` and they have no password. A login that belongs to anybody else is
refused (409), so a QA key cannot seat, re-skill or sign out a real agent.

The router comes from the app key :mod:`routing.service.http` sets (without a router: 503).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from customers.exceptions import Conflict, InvalidValue
from customers.records import AgentRecord
from omnivox.api.auth import require
from omnivox.api.common import actor, store
from omnivox.api.errors import ApiError, invalid, json_errors
from routing.service import http as routing_http
from routing.service.router import Router
from routing.state import StateError

SCOPE = "agents:write"
SIM_ENDPOINT = re.compile(r"^Local/[0-9]{1,8}@agent-sim$")
LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
STATES = ("ready", "not_ready", "offline")
OFF_DUTY = "off duty (omnivox simulate)"

SCHEMAS: dict[str, dict[str, Any]] = {
    "QaAgentInput": {
        "type": "object",
        "required": ["skills", "endpoint", "state"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "description": "default: the login"},
            "skills": {
                "type": "object",
                "description": "skill -> level 1..10 (replaces the agent's skills)",
                "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 10},
            },
            "endpoint": {
                "type": "string",
                "pattern": SIM_ENDPOINT.pattern,
                "description": "a stand-in phone: 1XXX answers at once, 9XXX never does",
            },
            "state": {"enum": list(STATES)},
            "reason": {"type": "string", "maxLength": 100, "description": "for not_ready"},
        },
    },
    "QaAgent": {
        "type": "object",
        "required": ["id", "login", "name", "endpoint", "skills", "state"],
        "properties": {
            "id": {"type": "integer"},
            "login": {"type": "string"},
            "name": {"type": "string"},
            "endpoint": {"type": "string"},
            "skills": {"type": "object", "additionalProperties": {"type": "integer"}},
            "state": {"type": ["string", "null"], "description": "the router's (null: unknown)"},
            "created": {"type": "boolean", "description": "this request created the agent"},
        },
    },
    "QaAgents": {
        "type": "object",
        "required": ["agents", "skills"],
        "properties": {
            "agents": {"type": "array", "items": {"$ref": "#/components/schemas/QaAgent"}},
            "skills": {
                "type": "array",
                "items": {"type": "string"},
                "description": "the skills the server's services require (one stand-in each)",
            },
        },
    },
}


def simulated(record: AgentRecord) -> bool:
    """Whether ``record`` is a stand-in agent this API may manage."""
    return (
        bool(SIM_ENDPOINT.match(record.endpoint))
        and record.role == "agent"
        and record.password_hash is None
    )


def checked_input(data: Mapping[str, Any]) -> tuple[str | None, dict[str, int], str, str, str]:
    """``(name, skills, endpoint, state, reason)`` of a PUT body; 422 naming the field."""
    unknown = sorted(set(data) - set(SCHEMAS["QaAgentInput"]["properties"]))
    if unknown:
        raise invalid(unknown[0], "unknown field; expected name, skills, endpoint, state, reason")
    name = data.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise invalid("name", "expected text")
    skills = data.get("skills")
    if not isinstance(skills, Mapping) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
        for k, v in skills.items()
    ):
        raise invalid("skills", "expected {skill: level 1..10}")
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not SIM_ENDPOINT.match(endpoint):
        raise invalid(
            "endpoint",
            f"expected a stand-in phone Local/<digits>@agent-sim, got {endpoint!r}",
        )
    state = data.get("state")
    if state not in STATES:
        raise invalid("state", f"expected one of {', '.join(STATES)}, got {state!r}")
    reason = data.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 100):
        raise invalid("reason", "expected text of at most 100 characters")
    return name, dict(skills), endpoint, str(state), (reason or OFF_DUTY)


async def _object(request: web.Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.read() or b"null")
    except (ValueError, UnicodeDecodeError) as error:
        raise invalid("body", f"not JSON: {error}", status=400) from None
    if not isinstance(data, dict):
        raise invalid("body", "expected a JSON object", status=400)
    return data


def _router(request: web.Request) -> Router:
    router = request.app.get(routing_http.ROUTER)
    if router is None:
        raise ApiError(503, "unavailable", "this server has no router (no routing file)")
    return router


def _view(record: AgentRecord, state: object, created: bool | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": record.id,
        "login": record.login,
        "name": record.name,
        "endpoint": record.endpoint,
        "skills": dict(record.skills),
        "state": state if isinstance(state, str) else None,
    }
    if created is not None:
        view["created"] = created
    return view


@json_errors
@require(SCOPE)
async def list_agents(request: web.Request) -> web.Response:
    """``GET /api/qa/agents``: the stand-in agents and the skills the services require."""
    router = _router(request)
    live = {str(a["id"]): a.get("state") for a in await router.agents()}
    agents = [
        _view(r, live.get(str(r.id))) for r in await store(request).list_agents() if simulated(r)
    ]
    skills = sorted({s for service in router.services.values() for s in service.requires})
    return web.json_response(
        {"agents": agents, "skills": skills}, headers={"Cache-Control": "no-store"}
    )


@json_errors
@require(SCOPE)
async def put_agent(request: web.Request) -> web.Response:
    """``PUT /api/qa/agents/{login}``: create or re-skill a stand-in agent and set its state."""
    login = request.match_info["login"]
    if not LOGIN.match(login):
        raise invalid("login", "expected 1..64 letters, digits, '.', '_' or '-'", status=400)
    router = _router(request)
    name, skills, endpoint, state, reason = checked_input(await _object(request))
    customers = store(request)
    record = await customers.get_agent(login)
    created = record is None
    if record is None:
        try:
            record = await customers.create_agent(login, name or login, endpoint, skills=skills)
        except Conflict:  # created by a concurrent request: re-read below
            record = await customers.get_agent(login)
            created = False
        except InvalidValue as exc:
            raise invalid(exc.field, str(exc).partition(": ")[2] or str(exc)) from None
    assert record is not None
    if not created:
        if not simulated(record):
            raise ApiError(
                409,
                "conflict",
                f"agent {login!r} is not a stand-in agent (endpoint {record.endpoint}, role"
                f" {record.role}{', signs in' if record.password_hash else ''}): QA keys manage"
                " only agents on Local/<digits>@agent-sim; use another login",
                "login",
            )
        if record.endpoint != endpoint:
            raise ApiError(
                409,
                "conflict",
                f"agent {login!r} rings {record.endpoint}, not {endpoint}: use another login",
                "endpoint",
            )
        if name is not None and name != record.name:
            record = await customers.update_agent(login, {"name": name}, actor=actor(request))
        if dict(record.skills) != skills:
            record = await customers.set_agent_skills(login, skills)
    view = await router.add_agent(record)
    try:
        view = await router.set_state(view["id"], state, reason if state == "not_ready" else None)
    except StateError as exc:
        raise ApiError(409, "conflict", f"agent {login!r}: {exc}", "state") from None
    return web.json_response(
        _view(record, view.get("state"), created), status=201 if created else 200
    )
