"""Agent state as the desktop sees it: the interface the router implements, and a memory one.

States an agent sets: ``ready``, ``not_ready`` (with a reason), ``offline``. The router sets
``reserved``, ``on_call`` and ``wrap_up`` (with ``wrap_up_left_s`` counting down); an agent's
own change is refused while a call rings or is in progress. Refusals raise
:class:`PresenceError` (a ``ValueError``, as the router's ``TransitionError`` is); an unknown
agent raises :class:`UnknownAgent` (a ``LookupError``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

AGENT_STATES = ("ready", "not_ready", "offline")
ROUTER_STATES = ("reserved", "on_call", "wrap_up")


class AgentPresence(Protocol):
    """What the desktop calls to change and show an agent's state (the router provides it)."""

    async def set_state(self, agent_id: int, state: str, reason: str | None) -> dict: ...

    async def get_state(self, agent_id: int) -> dict: ...


class PresenceError(ValueError):
    """A state change that is not allowed now."""


class UnknownAgent(LookupError):
    """No such agent."""


@dataclass
class _Entry:
    state: str = "offline"
    reason: str | None = None
    since: float = 0.0
    wrap_up_until: float | None = None


class MemoryPresence:
    """In-process presence for tests and the demo; ``add`` an agent first."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._agents: dict[int, _Entry] = {}

    def add(self, agent_id: int, state: str = "offline") -> None:
        self._agents[int(agent_id)] = _Entry(state, None, self._clock())

    async def set_state(self, agent_id: int, state: str, reason: str | None = None) -> dict:
        entry = self._entry(agent_id)
        if state in ROUTER_STATES:
            raise PresenceError(f"{state} is set by the router, not by the agent")
        if state not in AGENT_STATES:
            raise PresenceError(f"unknown state {state!r}; expected {', '.join(AGENT_STATES)}")
        if entry.state in ("reserved", "on_call"):
            raise PresenceError(f"agent {agent_id} is {entry.state}: not now")
        if state == "not_ready" and not (reason and reason.strip()):
            raise PresenceError("not_ready needs a reason")
        self._move(entry, state, reason.strip() if state == "not_ready" and reason else None)
        return await self.get_state(agent_id)

    async def get_state(self, agent_id: int) -> dict:
        entry = self._entry(agent_id)
        now = self._clock()
        due = entry.wrap_up_until
        if entry.state == "wrap_up" and due is not None and now >= due:
            self._move(entry, "ready", None)
        left = None
        if entry.state == "wrap_up" and entry.wrap_up_until is not None:
            left = round(max(0.0, entry.wrap_up_until - now), 1)
        return {
            "id": str(agent_id),
            "state": entry.state,
            "reason": entry.reason,
            "in_state_s": round(max(0.0, now - entry.since), 1),
            "wrap_up_left_s": left,
        }

    # --- what the router would do (tests and the demo drive these) ---------------------------

    def router_state(self, agent_id: int, state: str, *, wrap_up_s: float | None = None) -> None:
        """Move the agent as the router does: ``reserved``, ``on_call``, ``wrap_up``."""
        if state not in ROUTER_STATES:
            raise PresenceError(f"router states are {', '.join(ROUTER_STATES)}")
        entry = self._entry(agent_id)
        self._move(entry, state, None)
        if state == "wrap_up":
            entry.wrap_up_until = self._clock() + (wrap_up_s or 0.0)

    def _move(self, entry: _Entry, state: str, reason: str | None) -> None:
        entry.state, entry.reason, entry.since = state, reason, self._clock()
        entry.wrap_up_until = None

    def _entry(self, agent_id: Any) -> _Entry:
        try:
            return self._agents[int(agent_id)]
        except (KeyError, ValueError, TypeError):
            raise UnknownAgent(f"no agent {agent_id}") from None
