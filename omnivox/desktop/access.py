"""Who may see which agent's pops, contacts and state (one place for the desktop's checks)."""

from __future__ import annotations

from typing import Any, Protocol

from omnivox.auth.principal import Principal, may_watch


class AgentDirectory(Protocol):
    async def get_agent(self, agent: int | str) -> Any: ...


class Forbidden(Exception):
    """The principal may not see that agent (the message says why, without leaking more)."""


async def check_watch(directory: AgentDirectory, principal: Principal, agent_id: int) -> None:
    """Return if ``principal`` may watch ``agent_id``; raise :class:`Forbidden` otherwise.

    An unknown agent is refused like a foreign one, so ids cannot be probed.
    """
    if principal.kind == "agent" and principal.id == agent_id:
        return
    if principal.role not in ("supervisor", "admin"):
        raise Forbidden("agents see only their own pops")
    agent = await directory.get_agent(int(agent_id))
    if agent is None or not may_watch(principal, agent_id, agent.team):
        raise Forbidden(f"agent {agent_id} is not in your team")


def parse_agent_id(raw: object) -> int:
    """An agent id from a URL or message; ``ValueError`` naming the field otherwise."""
    if isinstance(raw, bool):
        raise ValueError("agent: expected a positive integer")
    try:
        value = int(raw)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise ValueError(f"agent: expected a positive integer, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"agent: expected a positive integer, got {raw!r}")
    return value
