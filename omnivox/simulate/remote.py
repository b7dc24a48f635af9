"""The agents' side of simulated calls on a running server, read over its HTTP API.

A running server's agents are its own (signed in at their desktops, or seated through
``/api/agents``); :class:`RemoteDesk` does not seat anyone. It reads what the router did with
each call and the screen-pop the agent got from ``GET /api/calls/{uniqueid}/routing``
(scope ``calls:read``), holds the caller until an agent takes the call, and gives the runner
the same :class:`~omnivox.simulate.popchecks.AgentOutcome` the embedded desk gives.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from omnivox.errors import OmnivoxError
from omnivox.simulate.model import AgentSeed
from omnivox.simulate.popchecks import AgentOutcome

SCOPE = "calls:read"
PROBE = "omnivox-simulate-probe"  # a call id no server has: 404 proves URL, key and scope
KEY_HELP = f"omnivox apikey create 'omnivox simulate' --scope {SCOPE}"
ENDED = ("abandoned", "ended")


class RemoteError(OmnivoxError):
    """The running server's API cannot be used (unreachable, wrong key, missing scope)."""


@dataclass(frozen=True, slots=True)
class SeenAgent:
    """The agent the server says got the call."""

    id: int
    login: str
    name: str
    skills: Mapping[str, int] = field(default_factory=dict)


class RemoteDesk:
    """Reads calls' routing from the server at ``url`` with the API key ``key``.

    ``answered``: a call counts as taken once an agent answered it (a real phone: the asterisk
    driver), else once it was offered (the builtin driver has no agent phones).
    """

    def __init__(
        self,
        url: str,
        key: str,
        *,
        answered: bool = True,
        poll_s: float = 0.2,
        settle_s: float = 5.0,
        timeout_s: float = 10.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.answered = answered
        self.poll_s = poll_s
        self.settle_s = settle_s  # how long the router may take to see the caller hang up
        self._headers = {"Authorization": f"Bearer {key}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the session and prove the URL, the key and its scope (else :class:`RemoteError`)."""
        self._http = aiohttp.ClientSession(timeout=self._timeout)
        try:
            status, body = await self._get(PROBE)
        except RemoteError:
            await self.close()
            raise
        if status == 404:
            return
        await self.close()
        reason = body.get("message") if isinstance(body, dict) else None
        if status == 401:
            raise RemoteError(f"{self.url} refused the API key: {reason} (make one: {KEY_HELP})")
        if status == 403:
            raise RemoteError(f"{self.url}: the API key lacks {SCOPE}: {reason} ({KEY_HELP})")
        raise RemoteError(
            f"{self.url} cannot tell calls' routing: HTTP {status}: {reason or body!r}"
        )

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def _get(self, call_id: str) -> tuple[int, Any]:
        assert self._http is not None, "start() first"
        where = f"{self.url}/api/calls/{quote(call_id, safe='')}/routing"
        try:
            async with self._http.get(where, headers=self._headers) as reply:
                try:
                    body = await reply.json(content_type=None)
                except ValueError:
                    body = (await reply.text())[:200]
                return reply.status, body
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RemoteError(f"cannot reach omnivox at {self.url}: {exc!r}") from None

    async def routing(self, call_id: str) -> dict[str, Any] | None:
        """The server's answer for ``call_id`` (None: it never reached the router)."""
        status, body = await self._get(call_id)
        if status == 404:
            return None
        if status != 200 or not isinstance(body, dict):
            raise RemoteError(f"{self.url}: routing of {call_id}: HTTP {status}: {body!r}")
        return body

    # --- what the runner calls (as on the embedded desk) --------------------------------------

    async def on_duty(self, seeds: Sequence[AgentSeed]) -> None:
        """A running server's agents are its own: scripts with ``agents:`` are skipped."""

    async def hold(self, call_id: str, seconds: float) -> None:
        """Return once an agent took the call, the call left the router, or ``seconds``
        passed (the caller gives up)."""
        deadline = time.monotonic() + seconds
        taken = ("answered", *ENDED) if self.answered else ("offered", "answered", *ENDED)
        while time.monotonic() < deadline:
            seen = await self.routing(call_id)
            if seen is not None and seen.get("state") in taken:
                return
            await asyncio.sleep(min(self.poll_s, max(0.0, deadline - time.monotonic())))

    async def hang_up(self, call_id: str) -> None:
        """The driver hangs up; the server's router hears it from Asterisk."""

    async def outcome(self, call_id: str) -> AgentOutcome:
        """Who got the call and the pop they saw, once the router saw the call end (or after
        ``settle_s``; without agent phones the router never hears the end: at once)."""
        deadline = time.monotonic() + (self.settle_s if self.answered else 0.0)
        seen = await self.routing(call_id)
        while seen is not None and seen.get("ended") is None and time.monotonic() < deadline:
            await asyncio.sleep(self.poll_s)
            seen = await self.routing(call_id)
        return outcome_of(seen, answered=self.answered)


def outcome_of(seen: Mapping[str, Any] | None, *, answered: bool = True) -> AgentOutcome:
    """The runner's :class:`AgentOutcome` from ``GET /api/calls/{id}/routing`` (pure)."""
    out = AgentOutcome()
    if seen is None:
        return out
    out.queued = bool(seen.get("queued"))
    out.service = seen.get("service")
    out.offers = int(seen.get("offers") or 0)
    out.answered = bool(seen.get("answered"))
    out.wait_s = seen.get("wait_s")
    agent = seen.get("agent")
    if isinstance(agent, Mapping):
        out.agent = SeenAgent(
            int(agent["id"]), str(agent["login"]), str(agent["name"]), dict(agent["skills"])
        )
    taken = out.answered if answered else out.agent is not None
    out.abandoned = out.queued and not taken
    pop = seen.get("pop")
    out.pop = dict(pop) if isinstance(pop, Mapping) else None
    return out
