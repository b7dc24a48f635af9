"""The agents' side of simulated calls on a running server, over its HTTP API.

:class:`RemoteDesk` reads what the router did with each call and the screen-pop the agent got
from ``GET /api/calls/{uniqueid}/routing`` (scope ``calls:read``), holds the caller until an
agent takes the call, and gives the runner the same
:class:`~omnivox.simulate.popchecks.AgentOutcome` the embedded desk gives.

With a key that also holds ``agents:write`` it puts agents on duty as the embedded desk does,
through ``PUT /api/qa/agents/{login}`` (stand-in agents only, phones ``Local/<ext>@agent-sim``):
one ``sim-<skill>`` per skill the server's services require (``GET /api/qa/agents``) while
scripts without ``agents:`` run, a script's own agents (and only those of this run) while it
runs, then off duty (offline) at the end. Agents of this run end their wrap-up at once. Without
that scope the server's own agents take the calls, and nobody is seated.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from omnivox.errors import OmnivoxError
from omnivox.simulate.desk import stand_ins
from omnivox.simulate.model import AgentSeed
from omnivox.simulate.popchecks import AgentOutcome

log = logging.getLogger("omnivox.simulate")
SCOPE = "calls:read"
SEAT_SCOPE = "agents:write"
PROBE = "omnivox-simulate-probe"  # a call id no server has: 404 proves URL, key and scope
KEY_HELP = f"omnivox apikey create 'omnivox simulate' --scope {SCOPE} --scope {SEAT_SCOPE}"
ENDED = ("abandoned", "ended")
DEFAULT_PHONE = "Local/1999@agent-sim"  # as on the embedded desk: answers at once
OFF_DUTY = "off duty (omnivox simulate)"


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
        self.seats_agents = False  # the key holds agents:write: this desk puts agents on duty
        self.seat_note = ""  # why not, when it does not
        self.defaults: list[AgentSeed] = []  # the stand-ins for scripts without agents:
        self._seated: dict[str, AgentSeed] = {}  # login -> seed, every agent this run seated
        self._duty: set[str] = set()  # logins on duty now

    async def start(self) -> None:
        """Open the session and prove the URL, the key and its scope (else :class:`RemoteError`)."""
        self._http = aiohttp.ClientSession(timeout=self._timeout)
        try:
            status, body = await self._get(PROBE)
        except RemoteError:
            await self.close()
            raise
        if status == 404:
            try:
                await self._probe_seating()
            except RemoteError:
                await self.close()
                raise
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

    async def _probe_seating(self) -> None:
        """Whether the key may put agents on duty; if so, the stand-ins go on duty now."""
        status, body = await self._request("GET", "/api/qa/agents")
        reason = body.get("message") if isinstance(body, dict) else body
        if status != 200 or not isinstance(body, dict):
            self.seat_note = (
                f"the API key lacks {SEAT_SCOPE}: {reason}"
                if status == 403
                else f"GET /api/qa/agents: HTTP {status}: {reason}"
            )
            return
        self.seats_agents = True
        self.defaults = stand_ins(str(s) for s in body.get("skills") or ())
        await self.on_duty(())

    async def close(self) -> None:
        """Every agent this run seated goes offline (an agent still on a call is left as it
        is, with a warning); then the session closes."""
        if self._http is None:
            return
        try:
            for login in sorted(self._seated):
                try:
                    await self._put(self._seated[login], "offline")
                except RemoteError as exc:
                    log.warning("%s", exc)
        finally:
            self._duty.clear()
            await self._http.close()
            self._http = None

    async def _get(self, call_id: str) -> tuple[int, Any]:
        return await self._request("GET", f"/api/calls/{quote(call_id, safe='')}/routing")

    async def _request(self, method: str, path: str, data: Any = None) -> tuple[int, Any]:
        assert self._http is not None, "start() first"
        where = self.url + path
        try:
            async with self._http.request(method, where, headers=self._headers, json=data) as reply:
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
        """Only ``seeds`` of this run's agents are ready from now (``seeds`` empty: the
        stand-ins; a script's own agents go offline). Without ``agents:write``: nothing."""
        if not self.seats_agents:
            return
        wanted = {seed.login: seed for seed in (seeds or self.defaults)}
        for login in sorted(self._duty - set(wanted)):
            seed = self._seated[login]
            await self._put(seed, "not_ready" if seed in self.defaults else "offline")
            self._duty.discard(login)
        for login, seed in wanted.items():
            await self._put(seed, "ready")
            self._seated[login] = seed
            self._duty.add(login)

    async def _put(self, seed: AgentSeed, state: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": seed.name or seed.login,
            "skills": dict(seed.skills),
            "endpoint": seed.endpoint or DEFAULT_PHONE,
            "state": state,
        }
        if state == "not_ready":
            body["reason"] = OFF_DUTY
        status, reply = await self._request(
            "PUT", f"/api/qa/agents/{quote(seed.login, safe='')}", body
        )
        if status not in (200, 201) or not isinstance(reply, dict):
            reason = reply.get("message") if isinstance(reply, dict) else reply
            raise RemoteError(f"{self.url}: cannot set agent {seed.login} {state}: {reason}")
        return reply

    async def _end_wrap_up(self, login: str) -> None:
        """The agent of this run who took a call is ready again at once (the server's
        wrap-up would hold the next script's call); retried while the call still ends."""
        deadline = time.monotonic() + self.settle_s
        while login in self._duty:
            with contextlib.suppress(RemoteError):
                await self._put(self._seated[login], "ready")
                return
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(self.poll_s)

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
        out = outcome_of(seen, answered=self.answered)
        if isinstance(out.agent, SeenAgent) and out.agent.login in self._duty:
            await self._end_wrap_up(out.agent.login)
        return out


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
