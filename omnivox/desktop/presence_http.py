"""``PUT /api/agents/{id}/state`` and ``GET /api/agents/{id}``: the desktop's state controls.

Signed-in only: an agent changes their own state; a supervisor their team's; an admin anyone's.
Each change is also sent to the agent's sockets (``{"type": "state", ...}``) so every open
desktop of theirs shows it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from omnivox.auth.http import error, require_principal
from omnivox.desktop.access import Forbidden, check_watch, parse_agent_id
from omnivox.desktop.keys import HUB, PRESENCE, STORE

MAX_REASON = 100


async def _target(request: web.Request) -> int:
    principal = require_principal(request)
    try:
        agent_id = parse_agent_id(request.match_info["id"])
    except ValueError as exc:
        raise error(422, "invalid", str(exc), "id") from None
    try:
        await check_watch(request.app[STORE], principal, agent_id)
    except Forbidden as exc:
        raise error(403, "forbidden", str(exc)) from None
    return agent_id


async def _call(request: web.Request, method: str, *args: Any) -> dict[str, Any]:
    try:
        return await getattr(request.app[PRESENCE], method)(*args)
    except LookupError as exc:
        raise error(404, "not_found", str(exc).strip("'\"")) from None
    except ValueError as exc:  # the router's TransitionError and PresenceError
        raise error(409, "conflict", str(exc), "state") from None


async def get_agent(request: web.Request) -> web.Response:
    agent_id = await _target(request)
    return web.json_response(await _call(request, "get_state", agent_id))


async def set_state(request: web.Request) -> web.Response:
    agent_id = await _target(request)
    try:
        data = await request.json()
    except ValueError:
        raise error(400, "bad_request", "body is not JSON") from None
    if not isinstance(data, dict):
        raise error(400, "bad_request", "body must be a JSON object")
    state, reason = data.get("state"), data.get("reason")
    if not isinstance(state, str) or not state:
        raise error(422, "invalid", "state is required (text)", "state")
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
        raise error(422, "invalid", f"reason: text of at most {MAX_REASON} characters", "reason")
    if state == "not_ready" and not (reason and reason.strip()):
        raise error(422, "invalid", "not_ready needs a reason", "reason")
    view = await _call(request, "set_state", agent_id, state, reason)
    await request.app[HUB].notify(agent_id, {"type": "state", "state": view})
    return web.json_response(view)


def setup(app: web.Application) -> None:
    app.router.add_get("/api/agents/{id}", get_agent)
    app.router.add_put("/api/agents/{id}/state", set_state)
