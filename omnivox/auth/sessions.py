"""Signing in and out: passwords checked against the store, tokens issued, checked, revoked.

A token carries the role and team it was issued with. When an admin changes them,
:meth:`Sessions.agent_changed` records when; a token issued before that is answered with the
agent's current role and team from the store (so the change applies on the next request of
every open session, on every instance sharing the revocations), and sockets waiting on
:meth:`Sessions.changes` are woken to re-check at once (on every instance through the desktop's
pop hub).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from omnivox.auth.passwords import verify_password
from omnivox.auth.principal import Principal
from omnivox.auth.revocation import MemoryRevocations, Revocations
from omnivox.auth.tokens import CLOCK_SKEW_S, DEFAULT_TTL_S, Claims, InvalidToken, TokenSigner

MAX_TRACKED_LOGINS = 10_000  # failure records kept at most (random logins cannot fill memory)
MAX_FAILURES = 5  # per login within FAILURE_WINDOW_S, then sign-in waits
FAILURE_WINDOW_S = 300.0
PARALLEL_HASHES = 4  # scrypt takes 32 MiB each: bound the memory a burst of sign-ins uses


class AgentLookup(Protocol):
    """What sign-in needs from the store (``CustomerStore.get_agent``)."""

    async def get_agent(self, agent: int | str) -> Any: ...


class SignInFailed(Exception):
    """Wrong login or password (deliberately not saying which)."""


class TooManyAttempts(SignInFailed):
    """Too many failed sign-ins for this login; ``retry_after_s`` says when to try again."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class Sessions:
    """``Sessions(store, secret, *, revocations=None, ttl_s=12 h, clock=time.time)``."""

    def __init__(
        self,
        store: AgentLookup,
        secret: bytes,
        *,
        revocations: Revocations | None = None,
        ttl_s: int = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self.signer = TokenSigner(secret, ttl_s=ttl_s, clock=clock)
        self._revoked = revocations or MemoryRevocations(clock)
        self._clock = clock
        self._hashing = asyncio.Semaphore(PARALLEL_HASHES)
        self._failures: dict[str, list[float]] = {}
        self._waiting: dict[int, set[asyncio.Event]] = {}  # agent -> sockets waiting on a change
        self.announce: Callable[[int], Awaitable[None]] = self._announce_here

    async def sign_in(self, login: str, password: str) -> tuple[str, Claims]:
        """A token for the agent whose login and password match; :class:`SignInFailed` if not."""
        if not isinstance(login, str) or not isinstance(password, str):
            raise SignInFailed("login and password are required")
        key = login.strip().casefold()
        self._check_throttle(key)
        agent = await self._store.get_agent(login.strip()) if 0 < len(login) <= 64 else None
        stored = getattr(agent, "password_hash", None)
        async with self._hashing:
            ok = await asyncio.to_thread(verify_password, password, stored)
        if not ok or agent is None:
            self._record_failure(key)
            raise SignInFailed("wrong login or password")
        self._failures.pop(key, None)
        return self.signer.issue(agent.id, agent.login, agent.role, agent.team)

    async def authenticate(self, token: str) -> Principal:
        """The principal of a valid, unrevoked token; :class:`InvalidToken` otherwise.
        The role and team are the store's if the agent changed since the token was issued."""
        claims = self.signer.verify(token)
        revoked, changed_at = await self._revoked.check(claims.token_id, claims.agent_id)
        if revoked:
            raise InvalidToken("signed out")
        if changed_at is None or changed_at < claims.issued_at:
            return claims.principal()
        agent = await self._store.get_agent(claims.agent_id)
        if agent is None:
            raise InvalidToken("the agent no longer exists")
        return Principal.for_agent(
            agent.id, agent.login, agent.role, agent.team, session=claims.token_id
        )

    async def agent_changed(self, agent_id: int) -> None:
        """The agent's role or team changed: their sessions see it on their next request,
        and sockets waiting on :meth:`changes` are woken (through ``announce``: on this
        instance by default, on every instance when the desktop sets it to its pop hub's)."""
        now = self._clock()
        await self._revoked.mark_changed(agent_id, now, now + self.signer.ttl_s + CLOCK_SKEW_S)
        await self.announce(agent_id)

    async def _announce_here(self, agent_id: int) -> None:
        self.wake(agent_id)

    def wake(self, agent_id: int) -> None:
        """Wake this instance's sockets of ``agent_id`` to re-check their session."""
        for event in self._waiting.get(agent_id, ()):
            event.set()

    def changes(self, agent_id: int) -> asyncio.Event:
        """An event set when :meth:`agent_changed` runs here for ``agent_id``; give it back
        with :meth:`forget` (the caller clears it after each wake)."""
        event = asyncio.Event()
        self._waiting.setdefault(agent_id, set()).add(event)
        return event

    def forget(self, agent_id: int, event: asyncio.Event) -> None:
        waiting = self._waiting.get(agent_id)
        if waiting is not None:
            waiting.discard(event)
            if not waiting:
                del self._waiting[agent_id]

    async def sign_out(self, token: str) -> Claims | None:
        """Revoke the token (until its expiry); ``None`` if it was not valid anyway."""
        try:
            claims = self.signer.verify(token)
        except InvalidToken:
            return None
        await self._revoked.revoke(claims.token_id, claims.expires_at)
        return claims

    def _record_failure(self, key: str) -> None:
        now = self._clock()
        if key not in self._failures and len(self._failures) >= MAX_TRACKED_LOGINS:
            self._failures = {
                k: ts for k, ts in self._failures.items() if now - ts[-1] < FAILURE_WINDOW_S
            }
            if len(self._failures) >= MAX_TRACKED_LOGINS:
                self._failures.pop(next(iter(self._failures)))
        self._failures.setdefault(key, []).append(now)

    def _check_throttle(self, key: str) -> None:
        now = self._clock()
        recent = [t for t in self._failures.get(key, ()) if now - t < FAILURE_WINDOW_S]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        if len(recent) >= MAX_FAILURES:
            raise TooManyAttempts(int(FAILURE_WINDOW_S - (now - recent[0])) + 1)
