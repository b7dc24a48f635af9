"""The agent's side of a chat, on the desktop (signed-in staff only):

* ``GET /desktop/chats/{chat_id}``: the conversation so far, whether it ended, its queue place;
* ``POST /desktop/chats/{chat_id}/messages`` ``{"text": ...}``: reply (201, the stored message);
* ``POST /desktop/chats/{chat_id}/end``: end the chat (the agent goes to wrap-up).

Only the agent the chat was offered to, or a supervisor of that agent's team (or an admin),
may: anyone else gets 403 with the reason. A bad message is 400 naming ``text``.
Live updates reach the desktop over its websocket: ``chat_message`` and ``chat_ended``.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from customers.store.switch import ResumeTokenRecord
from omnivox.auth.http import error, require_principal
from omnivox.auth.principal import Principal
from omnivox.desktop import popview
from omnivox.desktop.access import Forbidden, check_watch
from omnivox.desktop.keys import AGENTS, STORE
from omnivox.switch.chat import ChatRoom
from omnivox.switch.exceptions import SwitchError
from omnivox.switch.keys import SERVICE

MAX_BODY = 64 * 1024


def _room(request: web.Request) -> ChatRoom:
    return request.app[SERVICE].room


async def _allowed(request: web.Request) -> tuple[Principal, ResumeTokenRecord, int]:
    """The principal, the chat and its agent, if the principal may act in it."""
    principal = require_principal(request)
    chat_id = request.match_info["chat_id"]
    room = _room(request)
    try:
        record = await room.find(chat_id)
    except SwitchError as exc:
        raise error(exc.status, exc.code, str(exc), "chat_id") from None
    agent_id = await room.agent_of(chat_id)
    if agent_id is None:
        raise error(403, "forbidden", "this chat has not been offered to an agent yet")
    try:
        await check_watch(request.app[STORE], principal, agent_id)
    except Forbidden:
        raise error(
            403,
            "forbidden",
            "this chat is assigned to another agent: only that agent or a supervisor of "
            "their team may read or write in it",
        ) from None
    return principal, record, agent_id


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.content.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise error(400, "invalid", "text: the message is far too long", "text")
    try:
        data = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError):
        raise error(400, "invalid", "body: not JSON", "body") from None
    if not isinstance(data, dict):
        raise error(400, "invalid", "body: expected a JSON object", "body")
    return data


async def conversation(request: web.Request) -> web.Response:
    _, record, agent_id = await _allowed(request)
    try:
        snap = await _room(request).snapshot(record)
    except SwitchError as exc:
        raise error(exc.status, exc.code, str(exc), "chat_id") from None
    body = snap | {"agent_id": agent_id, "interaction_id": record.interaction_id}
    return web.json_response(body, headers={"Cache-Control": "no-store"})


async def reply(request: web.Request) -> web.Response:
    principal, record, _ = await _allowed(request)
    data = await _body(request)
    names = await request.app[AGENTS].names({principal.id})
    try:
        message = await _room(request).write(
            record,
            "agent",
            data.get("text"),
            agent_id=principal.id,
            name=names.get(principal.id) or principal.login,
        )
    except SwitchError as exc:
        raise error(exc.status, exc.code, str(exc), getattr(exc, "field", None)) from None
    return web.json_response({"chat_id": record.chat_id, "message": message}, status=201)


async def end(request: web.Request) -> web.Response:
    principal, record, agent_id = await _allowed(request)
    closed, now = await _room(request).end(record, by=principal.login, agent_id=agent_id)
    names = await request.app[AGENTS].names({agent_id})
    item = popview.timeline_item(closed, names)
    return web.json_response({"ended": now, "interaction": item}, status=200)


def setup(app: web.Application) -> None:
    app.router.add_get("/desktop/chats/{chat_id}", conversation)
    app.router.add_post("/desktop/chats/{chat_id}/messages", reply)
    app.router.add_post("/desktop/chats/{chat_id}/end", end)
