"""Keeping an open socket honest about its session: :func:`watch_session` closes it when the
session ends (signed out elsewhere, expired), when what the socket was opened for no longer
holds (an admin changed the agent's role or team), or when the caller says it ended.

Shared by the desktop's agent socket and the wallboard's; they differ in the close code and in
which change matters, both passed in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

from omnivox.auth.principal import Principal
from omnivox.auth.sessions import Sessions
from omnivox.auth.tokens import InvalidToken

RECHECK_S = 30.0  # how often an open socket re-checks its session
CLOSE_SESSION = 4401  # the session ended: sign in again
MIN_WAIT_S = 0.05
MAX_REASON = 120  # bytes of close reason sent (a close frame's payload is at most 125)


class Closable(Protocol):
    """What the watch needs of a socket (``aiohttp.web.WebSocketResponse``)."""

    async def close(self, *, code: int, message: bytes) -> bool: ...


async def watch_session(
    ws: Closable,
    sessions: Sessions,
    token: str,
    agent_id: int,
    *,
    clock: Callable[[], float],
    allowed: Callable[[Principal], bool],
    refused: tuple[int, bytes],
    ended: Callable[[], Awaitable[tuple[int, str]]] | None = None,
    recheck_s: float = RECHECK_S,
) -> None:
    """Close ``ws`` and return once the session of ``token`` is no longer valid
    (:data:`CLOSE_SESSION` with the reason), once ``allowed(principal)`` is false (``refused``:
    close code and message), or once ``ended()`` returns (its close code and reason).

    The session is re-checked every ``recheck_s`` seconds, at the token's expiry, and at once
    when :meth:`Sessions.agent_changed` wakes ``agent_id``."""
    changed = sessions.changes(agent_id)
    changed_wait = asyncio.ensure_future(changed.wait())
    end = asyncio.ensure_future(ended()) if ended is not None else None
    try:
        while True:
            try:
                claims = sessions.signer.verify(token)
                principal = await sessions.authenticate(token)
            except InvalidToken as exc:
                await ws.close(code=CLOSE_SESSION, message=str(exc).encode()[:MAX_REASON])
                return
            if not allowed(principal):
                code, message = refused
                await ws.close(code=code, message=message)
                return
            wait = max(MIN_WAIT_S, min(recheck_s, claims.expires_at - clock()))
            waits = {changed_wait} if end is None else {changed_wait, end}
            done, _ = await asyncio.wait(waits, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            if changed_wait in done:
                changed.clear()
                changed_wait = asyncio.ensure_future(changed.wait())
            if end is not None and end in done:
                code, reason = end.result()
                await ws.close(code=code, message=reason.encode()[:MAX_REASON])
                return
    finally:
        changed_wait.cancel()
        if end is not None:
            end.cancel()
        sessions.forget(agent_id, changed)
