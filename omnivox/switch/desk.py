"""The chat's link to the agent desktop: who the chat was popped to, and a message to them.

The pop hub records, for every popped contact, the agent it went to (shared through Redis
when configured); its ``notify`` reaches that agent's sockets on whichever instance holds
them, and the supervisors watching that agent.
"""

from __future__ import annotations

from typing import Any

from omnivox.desktop.hub import PopHub


class HubDesk:
    def __init__(self, hub: PopHub) -> None:
        self.hub = hub

    async def agent_of(self, chat_id: str) -> int | None:
        contact = await self.hub.store.contact(chat_id)
        if contact is None or contact.get("agent_id") is None:
            return None
        return int(contact["agent_id"])

    async def tell(self, agent_id: int, message: dict[str, Any]) -> None:
        await self.hub.notify(agent_id, message)
