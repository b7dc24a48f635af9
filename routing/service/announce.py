"""What the router tells the rest of Omnivox: routing events on the bus, agents as JSON.

Topics: ``routing.queued|offered|answered|missed|ended|abandoned|agent``. A listener that
fails is logged and never stops routing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from customers.records import AgentRecord
from routing.service.contacts import view_dict
from routing.state import Removed, RoutingState

Publish = Callable[[str, Mapping[str, Any]], Awaitable[None]]
# an agent's login and name by id, from the store (None: no such agent)
Directory = Callable[[str], Awaitable[AgentRecord | None]]


class Announcer:
    """Publishes routing events; knows agents' logins and names (the state holds ids only)."""

    def __init__(
        self,
        state: RoutingState,
        publish: Publish | None,
        *,
        directory: Directory | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self._state = state
        self._publish = publish
        self._directory = directory
        self._log = logger or logging.getLogger("routing")
        self._people: dict[str, tuple[str, str]] = {}  # agent id -> (login, name)

    def know(self, record: AgentRecord) -> None:
        """Remember an agent's login and name (they are shown with every agent's state)."""
        self._people[str(record.id)] = (record.login, record.name)

    async def agent_dict(self, data: dict[str, Any]) -> dict[str, Any]:
        """An agent's state as JSON with their login and name; an agent another instance
        loaded is looked up in the store once."""
        agent_id = str(data["id"])
        if agent_id not in self._people and self._directory is not None:
            try:
                record = await self._directory(agent_id)
            except Exception:  # names are cosmetic: the state is still right
                self._log.exception("looking up agent %s failed", agent_id)
                record = None
            if record is not None:
                self.know(record)
        login, name = self._people.get(agent_id, (None, None))
        return data | {"login": login, "name": name}

    async def emit(self, topic: str, payload: Mapping[str, Any]) -> None:
        if self._publish is None:
            return
        try:
            await self._publish(topic, payload)
        except Exception:
            self._log.exception("publishing %s failed", topic)

    async def agent(self, agent_id: str) -> None:
        """``routing.agent``: the agent's state now."""
        view = await self._state.get_agent(agent_id)
        if view is not None:
            data = await self.agent_dict(view.to_dict(self._state.clock()))
            await self.emit("routing.agent", data)

    async def removed(self, removed: Removed) -> None:
        """``routing.ended`` or ``routing.abandoned`` for a contact that left the state."""
        kind = "routing.ended" if removed.outcome == "ended" else "routing.abandoned"
        payload = view_dict(removed.view, removed.removed_at) | {
            "wait_s": round(removed.waited_s, 1),
            "outcome": removed.outcome,
        }
        await self.emit(kind, payload)
        if removed.agent_id is not None:
            await self.agent(removed.agent_id)
