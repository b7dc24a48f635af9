"""From the router's events to the desktop: a reservation becomes a screen-pop, an agent's
state change reaches their open desktops. ``bus_listener`` plugs into ``omnivox.bus.EventBus``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from omnivox.desktop.hub import PopHub
from omnivox.desktop.pop import AgentCache, PopSource, build_pop

Listener = Callable[[str, dict[str, Any]], Awaitable[None]]
log = logging.getLogger("omnivox.desktop")


def contact_from_offer(payload: Mapping[str, Any], now: float) -> dict[str, Any]:
    """``build_pop``'s contact from a ``routing.offered`` payload (the call, its IVR facts)."""
    facts = payload.get("facts") if isinstance(payload.get("facts"), Mapping) else {}
    waited = float(payload.get("wait_s") or 0.0)
    customer = facts.get("customer_id") or payload.get("customer_id")
    return {
        "call_id": str(facts.get("call_id") or payload["id"]),
        "journey_id": facts.get("journey_id") or payload.get("journey_id"),
        "customer_id": int(customer) if customer else None,
        "caller": facts.get("caller") or payload.get("caller"),
        "service": payload.get("service") or facts.get("service"),
        "skills": list(facts.get("skills") or []),
        "priority": facts.get("priority"),
        "intent": facts.get("intent") or payload.get("intent"),
        "language": facts.get("language"),
        "entered_at": datetime.fromtimestamp(now - waited, UTC).isoformat(),
        "waited_s": waited,
        "kind": facts.get("kind") or "call",
        "reason": facts.get("reason"),
        "match": facts.get("match"),
        "media": facts.get("media") or "voice",
        "continues": facts.get("continues"),  # a chat or callback continuing this call
    }


def bus_listener(
    store: PopSource,
    hub: PopHub,
    *,
    clock: Callable[[], float] = time.time,
    agents: AgentCache | None = None,
) -> Listener:
    """``routing.offered`` -> build the pop and push it to the reserved agent;
    ``routing.agent`` -> the agent's new state to their desktops."""
    cache = agents or AgentCache(store)

    async def listen(topic: str, payload: dict[str, Any]) -> None:
        if topic == "routing.offered":
            agent_id = int(payload["agent"])
            contact = contact_from_offer(payload, clock())
            why = payload.get("why") if isinstance(payload.get("why"), Mapping) else None
            pop = await build_pop(
                store, contact=contact, trace=why, agent_id=agent_id, agents=cache
            )
            await hub.push(agent_id, pop)
        elif topic == "routing.agent" and str(payload.get("id", "")).isdigit():
            await hub.notify(int(payload["id"]), {"type": "state", "state": dict(payload)})

    return listen
