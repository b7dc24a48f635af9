"""In-process publish/subscribe between adapters: the IVR tells the router, the desktop,
the reports and the metrics what happened, without knowing any of them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("omnivox")
Listener = Callable[[str, dict[str, Any]], Awaitable[None]]


@dataclass
class EventBus:
    """Listeners are awaited in order; one that raises is logged and the rest still hear it.

    ``recent`` keeps the last ``keep`` events (tests and the call log read it)."""

    listeners: list[Listener] = field(default_factory=list)
    recent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    keep: int = 200

    async def publish(self, topic: str, payload: Any) -> None:
        item = (topic, dict(payload))
        self.recent = [*self.recent[-(self.keep - 1) :], item]
        for listener in list(self.listeners):
            try:
                await listener(*item)
            except Exception:
                log.exception("listener of %s failed", topic)
