"""``GET /wallboard`` (the page) and ``GET /ws/wallboard`` (the live board), supervisors and
admins only, signed in like the desktop (session cookie or Bearer token).

Refused before the upgrade: 401 without a valid session, 403 for an agent. Server messages:
``hello``, then ``board`` on every push; the client may send ``{"type": "ping"}`` (``pong``).
Close codes: 4401 the session ended (signed out, expired), 4403 the role no longer allows it
(an admin demoted the supervisor: at once, on every instance through the desktop's pop hub),
1001 server going away, 1008 a binary message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from html import escape
from pathlib import Path

from aiohttp import WSCloseCode, WSMsgType, web

from omnivox.auth import watch
from omnivox.auth.http import PRINCIPAL, SESSIONS, error, require_principal, token_of
from omnivox.auth.principal import Principal
from omnivox.desktop.pages import SECURITY_HEADERS
from omnivox.wallboard.feed import Subscriber, Wallboard

log = logging.getLogger("omnivox.wallboard")
STATIC = Path(__file__).with_name("static")
WALLBOARD = web.AppKey("wallboard", Wallboard)
SOCKETS = web.AppKey("wallboard_sockets", set)
ROLES = ("supervisor", "admin")
RECHECK_S = watch.RECHECK_S  # how often an open socket re-checks its session
CLOSE_SESSION, CLOSE_FORBIDDEN, CLOSE_POLICY = watch.CLOSE_SESSION, 4403, 1008


def require_supervisor(request: web.Request) -> Principal:
    """The signed-in supervisor or admin; 401 if nobody is signed in, 403 for an agent."""
    principal = require_principal(request)
    if principal.role not in ROLES:
        raise error(403, "forbidden", "the wallboard is for supervisors and admins")
    return principal


def _refused(status: int, message: str) -> web.Response:
    body = (
        "<!doctype html><meta charset=utf-8><title>Omnivox wallboard</title>"
        f'<p>{escape(message)}</p><p><a href="/">Sign in</a></p>'
    )
    return web.Response(
        status=status, text=body, content_type="text/html", headers=SECURITY_HEADERS
    )


async def page(request: web.Request) -> web.StreamResponse:
    principal = request.get(PRINCIPAL)
    if not isinstance(principal, Principal):
        return _refused(401, "Sign in as a supervisor to see the wallboard.")
    if principal.role not in ROLES:
        return _refused(403, "The wallboard is for supervisors and admins.")
    headers = {"Cache-Control": "no-store", **SECURITY_HEADERS}
    return web.FileResponse(STATIC / "wallboard.html", headers=headers)


async def board_socket(request: web.Request) -> web.StreamResponse:
    principal = require_supervisor(request)
    wallboard = request.app[WALLBOARD]
    ws = web.WebSocketResponse(heartbeat=25.0, max_msg_size=4096)
    await ws.prepare(request)
    sockets = request.app[SOCKETS]
    sockets.add(ws)
    subscriber = wallboard.subscribe()
    try:
        await ws.send_json({"type": "hello", "principal": principal.to_dict()})
        subscriber.offer(json.dumps(await wallboard.board()))
        tasks = [
            asyncio.create_task(_send(ws, subscriber)),
            asyncio.create_task(_receive(ws)),
            asyncio.create_task(_guard(ws, request, principal.id)),
        ]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.warning("wallboard socket of %s failed: %r", principal.login, task.exception())
    finally:
        wallboard.unsubscribe(subscriber)
        sockets.discard(ws)
        if not ws.closed:
            await ws.close()
    return ws


async def _send(ws: web.WebSocketResponse, subscriber: Subscriber) -> None:
    while True:
        await ws.send_str(await subscriber.next())


async def _receive(ws: web.WebSocketResponse) -> None:
    async for msg in ws:
        if msg.type == WSMsgType.BINARY:
            await ws.close(code=CLOSE_POLICY, message=b"text JSON only")
            return
        if msg.type != WSMsgType.TEXT:
            continue
        try:
            data = json.loads(msg.data)
        except ValueError:
            data = None
        if isinstance(data, dict) and data.get("type") == "ping":
            await ws.send_json({"type": "pong"})
        else:
            await ws.send_json({"type": "error", "error": 'expected {"type": "ping"}'})


async def _guard(ws: web.WebSocketResponse, request: web.Request, agent_id: int) -> None:
    """Close the socket once its session ends (signed out elsewhere, expired) or its role no
    longer allows the wallboard; re-checked at once when an admin changes the agent."""
    await watch.watch_session(
        ws,
        request.app[SESSIONS],
        token_of(request) or "",
        agent_id,
        clock=request.app[WALLBOARD].now,
        allowed=lambda principal: principal.role in ROLES,
        refused=(CLOSE_FORBIDDEN, b"the wallboard is for supervisors"),
        recheck_s=RECHECK_S,
    )


def setup(app: web.Application, wallboard: Wallboard) -> None:
    """Mount the page, its static files and the socket; run the push loop with the app.

    Sign-in must be mounted already (``omnivox.desktop.setup`` does it)."""
    if SESSIONS not in app:
        raise RuntimeError("mount sign-in (omnivox.desktop.setup) before the wallboard")
    app[WALLBOARD] = wallboard
    app[SOCKETS] = set()
    app.router.add_get("/wallboard", page)
    app.router.add_get("/ws/wallboard", board_socket)
    app.router.add_static("/wallboard/static/", STATIC, name="wallboard_static")

    async def push_loop(_: web.Application):  # type: ignore[no-untyped-def]
        task = asyncio.create_task(wallboard.run())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def close_sockets(_: web.Application) -> None:
        for socket in list(app[SOCKETS]):
            await socket.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")

    app.cleanup_ctx.append(push_loop)
    app.on_shutdown.append(close_sockets)
