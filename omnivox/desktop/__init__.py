"""The agent desktop: sign-in, the websocket that pushes screen-pops, state controls, wrap-up.

``setup(app, store=..., hub=..., presence=..., secret=...)`` mounts it all on an aiohttp app;
``bus_listener(store, hub)`` turns the router's reservations into pops.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aiohttp import WSCloseCode, web

from customers.store import CustomerStore
from omnivox.auth import http as auth_http
from omnivox.auth.revocation import MemoryRevocations, RedisRevocations
from omnivox.auth.sessions import Sessions
from omnivox.auth.tokens import DEFAULT_TTL_S, Claims
from omnivox.desktop import contacts_http, pages, presence_http, ws
from omnivox.desktop.hub import PopHub
from omnivox.desktop.keys import AGENTS, CLOCK, HUB, PRESENCE, SOCKETS, STORE
from omnivox.desktop.offers import bus_listener, contact_from_offer
from omnivox.desktop.pop import AgentCache, build_pop
from omnivox.desktop.presence import AgentPresence, MemoryPresence, PresenceError, UnknownAgent

__all__ = [
    "AgentCache",
    "AgentPresence",
    "MemoryPresence",
    "PopHub",
    "PresenceError",
    "UnknownAgent",
    "build_pop",
    "bus_listener",
    "contact_from_offer",
    "setup",
]


def setup(
    app: web.Application,
    *,
    store: CustomerStore,
    hub: PopHub,
    presence: AgentPresence,
    secret: bytes,
    redis: Any = None,
    clock: Callable[[], float] = time.time,
    session_ttl_s: int = DEFAULT_TTL_S,
    secure_cookie: bool = False,
    presence_routes: bool = True,
    redis_prefix: str = "omnivox:",
) -> Sessions:
    """Mount sign-in (``/``, ``/auth/*``), the desktop (``/desktop*``), ``/ws/agent`` and,
    with ``presence_routes``, ``GET /api/agents/{id}`` and ``PUT /api/agents/{id}/state``.

    ``redis`` shares logouts between instances (the hub takes its own client). The hub is
    started with the app and closed at cleanup; open sockets are closed at shutdown.
    Returns the :class:`Sessions` (to issue tokens elsewhere, e.g. the demo).
    """
    revocations = (
        RedisRevocations(redis, prefix=redis_prefix, clock=clock)
        if redis is not None
        else MemoryRevocations(clock)
    )
    sessions = Sessions(store, secret, revocations=revocations, ttl_s=session_ttl_s, clock=clock)
    auth_http.setup(app, sessions, secure_cookie=secure_cookie)
    app[STORE] = store
    app[AGENTS] = AgentCache(store)
    app[HUB] = hub
    app[PRESENCE] = presence
    app[CLOCK] = clock
    app[SOCKETS] = set()

    async def end_socket_sessions(claims: Claims) -> None:
        await hub.end_session(claims.token_id)

    app[auth_http.SIGN_OUT_HOOKS].append(end_socket_sessions)
    sessions.announce = hub.agent_changed  # an admin's role change reaches every instance
    hub.on_agent_changed = sessions.wake
    pages.setup(app)
    contacts_http.setup(app)
    ws.setup(app)
    if presence_routes:
        presence_http.setup(app)

    async def start_hub(_: web.Application) -> None:
        await hub.start()

    async def close_sockets(_: web.Application) -> None:
        for socket in list(app[SOCKETS]):
            await socket.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")

    async def close_hub(_: web.Application) -> None:
        await hub.close()

    app.on_startup.append(start_hub)
    app.on_shutdown.append(close_sockets)
    app.on_cleanup.append(close_hub)
    return sessions
