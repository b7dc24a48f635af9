"""``GET /ws/agent[?agent=id]``: the agent's websocket, pushed pops and state, acknowledged.

Authenticated by the session cookie or a Bearer token before the upgrade (401), and a watch of
another agent is checked before it too (403). Client messages (JSON):
``{"type": "ack", "id": pop id}``, ``{"type": "subscribe" | "unsubscribe", "agent": id}``,
``{"type": "ping"}``. Server messages: ``hello``, ``pop``, ``state``, ``acked``, ``subscribed``,
``unsubscribed``, ``refused``, ``error``, ``pong``. Close codes: 4401 session ended (sign in
again), 4408 inbox overflow (reconnect), 4409 an admin changed the agent's role or team
(reconnect: what the socket may watch is checked again), 1001 server going away, 1008 bad
message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from omnivox.auth import watch
from omnivox.auth.http import SESSIONS, error, require_principal, token_of
from omnivox.auth.principal import Principal
from omnivox.desktop.access import Forbidden, check_watch, parse_agent_id
from omnivox.desktop.hub import Listener
from omnivox.desktop.keys import CLOCK, HUB, SOCKETS, STORE

log = logging.getLogger("omnivox.desktop")
RECHECK_S = watch.RECHECK_S  # how often an open socket re-checks its session (logout, expiry)
MAX_MESSAGE = 16 * 1024
CLOSE_SESSION, CLOSE_OVERFLOW, CLOSE_CHANGED, CLOSE_POLICY = watch.CLOSE_SESSION, 4408, 4409, 1008


async def agent_socket(request: web.Request) -> web.StreamResponse:
    principal = require_principal(request)
    try:
        target = parse_agent_id(request.query.get("agent", principal.id))
    except ValueError as exc:
        raise error(422, "invalid", str(exc), "agent") from None
    try:
        await check_watch(request.app[STORE], principal, target)
    except Forbidden as exc:
        raise error(403, "forbidden", str(exc)) from None
    ws = web.WebSocketResponse(heartbeat=25.0, max_msg_size=MAX_MESSAGE)
    await ws.prepare(request)
    sockets = request.app[SOCKETS]
    sockets.add(ws)
    hub = request.app[HUB]
    listener = Listener(session=principal.session)
    try:
        await ws.send_json({"type": "hello", "principal": principal.to_dict(), "agent": target})
        await hub.watch(listener, target)
        tasks = [
            asyncio.create_task(_send(ws, listener)),
            asyncio.create_task(_receive(ws, request, principal, listener)),
            asyncio.create_task(_guard(ws, request, listener, principal)),
        ]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.warning("agent socket of %s failed: %r", principal.login, task.exception())
    finally:
        await hub.unwatch(listener)
        sockets.discard(ws)
        if not ws.closed:
            await ws.close()
    return ws


async def _send(ws: web.WebSocketResponse, listener: Listener) -> None:
    """Inbox to socket; a pop already sent on this socket (redelivery races) is skipped."""
    sent: set[str] = set()
    while True:
        message = await listener.queue.get()
        if message.get("type") == "pop":
            pop_id = str(message.get("pop", {}).get("id"))
            if pop_id in sent:
                continue
            sent.add(pop_id)
        await ws.send_str(json.dumps(message))


async def _receive(
    ws: web.WebSocketResponse, request: web.Request, principal: Principal, listener: Listener
) -> None:
    async for msg in ws:
        if msg.type != WSMsgType.TEXT:
            if msg.type == WSMsgType.BINARY:
                await ws.close(code=CLOSE_POLICY, message=b"text JSON only")
            continue
        try:
            data = json.loads(msg.data)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            await ws.send_json({"type": "error", "error": "expected a JSON object"})
            continue
        reply = await _handle(data, request, principal, listener)
        if reply is not None:
            await ws.send_json(reply)


async def _handle(
    data: dict[str, Any], request: web.Request, principal: Principal, listener: Listener
) -> dict[str, Any] | None:
    hub = request.app[HUB]
    kind = data.get("type")
    if kind == "ping":
        return {"type": "pong"}
    if kind == "ack":
        pop_id, agent = data.get("id"), data.get("agent", principal.id)
        if not isinstance(pop_id, str):
            return {"type": "error", "error": "ack needs the pop id"}
        # only the agent's own acknowledgement settles a pop: a supervisor watching does not
        removed = agent == principal.id and await hub.ack(principal.id, pop_id)
        return {"type": "acked", "id": pop_id, "removed": bool(removed)}
    if kind in ("subscribe", "unsubscribe"):
        try:
            agent_id = parse_agent_id(data.get("agent"))
        except ValueError as exc:
            return {"type": "refused", "agent": data.get("agent"), "reason": str(exc)}
        if kind == "unsubscribe":
            await hub.unwatch(listener, agent_id)
            return {"type": "unsubscribed", "agent": agent_id}
        try:
            await check_watch(request.app[STORE], principal, agent_id)
        except Forbidden as exc:
            return {"type": "refused", "agent": agent_id, "reason": str(exc)}
        await hub.watch(listener, agent_id)
        return {"type": "subscribed", "agent": agent_id}
    return {"type": "error", "error": f"unknown message type {kind!r}"}


async def _guard(
    ws: web.WebSocketResponse, request: web.Request, listener: Listener, principal: Principal
) -> None:
    """Close the socket when its session ends (signed out, expired, or the hub says so) or
    the agent's role or team changed (re-checked at once when an admin changes it)."""
    await watch.watch_session(
        ws,
        request.app[SESSIONS],
        token_of(request) or "",
        principal.id,
        clock=request.app[CLOCK],
        allowed=lambda now: (now.role, now.team) == (principal.role, principal.team),
        refused=(CLOSE_CHANGED, b"your role or team changed"),
        ended=lambda: _ended(listener),
        recheck_s=RECHECK_S,
    )


async def _ended(listener: Listener) -> tuple[int, str]:
    """The close code and reason once the hub ends the listener's session."""
    reason = await listener.ended_wait()
    if reason == "server shutting down":
        return WSCloseCode.GOING_AWAY, reason
    return (CLOSE_SESSION if reason == "signed out" else CLOSE_OVERFLOW), reason


def setup(app: web.Application) -> None:
    app.router.add_get("/ws/agent", agent_socket)
