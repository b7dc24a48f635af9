"""``GET /api/calls/{call_id}/routing``: what the router did with one call and the screen-pop
the agent got, for QA tools (``omnivox simulate --server-url``) and integrations.

The call id is the IVR channel's uniqueid (the journey is stored under it, the AMI events
carry it). The routing part comes from :mod:`omnivox.calllog`; the pop is the one the desktop's
hub pushed (pending until the agent's browser acknowledges it, then kept as the agent's
latest pop until their next one). Mounted by :func:`omnivox.api.setup` (listed in
:data:`omnivox.api.openapi.ROUTES`); :func:`setup` gives it the call log and the pop store.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from customers.store import CustomerStore
from omnivox import calllog
from omnivox.api.auth import STORE, require
from omnivox.api.errors import ApiError, json_errors
from omnivox.desktop.popstore import PopStore

SCOPE = "calls:read"
CALL_LOG: web.AppKey[calllog.CallLog] = web.AppKey("call_log")
POPS: web.AppKey[PopStore] = web.AppKey("call_pops")
CALL_ID = re.compile(r"^[A-Za-z0-9][^\s/]{0,127}$")  # e.g. 1733400000.42, sim-ab12;2
GONE = "the pop was acknowledged and the agent has had another pop since"

_EVENT = {
    "type": "object",
    "required": ["topic", "at"],
    "properties": {
        "topic": {"enum": list(calllog.TOPICS)},
        "at": {"type": "number", "description": "epoch seconds"},
        "service": {"type": "string"},
        "agent": {"type": ["integer", "string"]},
        "wait_s": {"type": "number"},
        "outcome": {"type": "string"},
    },
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "CallRouting": {
        "type": "object",
        "required": ["call_id", "state", "queued", "service", "offers", "agent", "answered"],
        "properties": {
            "call_id": {"type": "string"},
            "state": {"enum": ["waiting", "offered", "answered", "abandoned", "ended"]},
            "queued": {"type": "boolean", "description": "the call waited for an agent"},
            "service": {"type": ["string", "null"], "description": "where it waited last"},
            "offers": {"type": "integer", "description": "agents it was offered to"},
            "agent": {
                "description": "the agent it was offered to last (null: none)",
                "anyOf": [
                    {
                        "type": "object",
                        "required": ["id", "login", "name", "skills"],
                        "properties": {
                            "id": {"type": "integer"},
                            "login": {"type": "string"},
                            "name": {"type": "string"},
                            "skills": {
                                "type": "object",
                                "additionalProperties": {"type": "integer"},
                            },
                        },
                    },
                    {"type": "null"},
                ],
            },
            "answered": {"type": "boolean"},
            "ended": {
                "type": ["string", "null"],
                "description": "abandoned or ended once the call left the router",
            },
            "wait_s": {"type": ["number", "null"]},
            "why": {
                "type": ["object", "null"],
                "description": "the router's decision and its trace ('why this agent')",
            },
            "events": {"type": "array", "items": _EVENT},
            "pop": {
                "type": ["object", "null"],
                "description": "the screen-pop as pushed to the agent's desktop",
            },
            "pop_note": {"type": ["string", "null"], "description": "why pop is null"},
        },
    }
}


def setup(app: web.Application, log: calllog.CallLog, pops: PopStore) -> None:
    """Give the endpoint the call log (fed by :func:`omnivox.calllog.listener`) and the
    desktop's pop store. Without it the endpoint answers 503."""
    app[CALL_LOG] = log
    app[POPS] = pops


@json_errors
@require(SCOPE)
async def routing(request: web.Request) -> web.Response:
    """``GET /api/calls/{call_id}/routing``."""
    call_id = request.match_info["call_id"]
    if not CALL_ID.match(call_id):
        raise ApiError(
            400,
            "invalid",
            "expected the call's uniqueid: up to 128 characters, no spaces or '/'",
            "call_id",
        )
    log = request.app.get(CALL_LOG)
    pops = request.app.get(POPS)
    if log is None or pops is None:
        raise ApiError(503, "unavailable", "call routing is not set up on this server")
    events = await log.events(call_id)
    if not events:
        raise ApiError(
            404,
            "not_found",
            f"no call {call_id!r} was handed to the router here (or it is older than a day)",
        )
    decided = calllog.summary(events)
    agent = await _agent(request.app[STORE], decided.pop("agent_id"))
    pop, note = await _pop(pops, call_id)
    body = {"call_id": call_id, **decided, "agent": agent}
    body["events"] = [{k: v for k, v in e.items() if k not in ("why", "facts")} for e in events]
    body |= {"pop": pop, "pop_note": note}
    return web.json_response(body, headers={"Cache-Control": "no-store"})


async def _agent(store: CustomerStore, agent_id: object) -> dict[str, Any] | None:
    if agent_id is None or not str(agent_id).isdigit():
        return None
    record = await store.get_agent(int(str(agent_id)))
    if record is None:
        return {"id": int(str(agent_id)), "login": "", "name": "", "skills": {}}
    return {
        "id": record.id,
        "login": record.login,
        "name": record.name,
        "skills": dict(record.skills),
    }


async def _pop(pops: PopStore, call_id: str) -> tuple[dict[str, Any] | None, str | None]:
    contact = await pops.contact(call_id)
    if contact is None:
        return None, "no pop was pushed for this call (no agent was offered it)"
    agent_id, pop_id = int(contact["agent_id"]), contact.get("pop_id")
    for pop in reversed(await pops.pending(agent_id)):
        if pop.get("id") == pop_id:
            return pop, None
    last = await pops.last(agent_id)
    if last is not None and last.get("id") == pop_id:
        return last, None
    return None, GONE
