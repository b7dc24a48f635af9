"""The recorder: a bus listener that keeps the routing outcomes the reports read.

``recorder(store, clock)`` returns ``async (topic, payload) -> None`` for the in-process
EventBus. ``clock`` returns a timezone-aware ``datetime`` (the IVR's clock, ``utc_now``);
every event is stamped with it when it arrives, so all report times share one clock.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any

from customers.store import CustomerStore
from omnivox.reports.events import agent_changes, apply_event, contact_id_of

Listener = Callable[[str, Mapping[str, Any]], Awaitable[None]]


def recorder(
    store: CustomerStore,
    clock: Callable[[], datetime],
    *,
    logger: logging.Logger | None = None,
) -> Listener:
    """A bus listener persisting ``routing.*`` and ``ivr.transfer``/``ivr.channel_switch``."""
    log = logger or logging.getLogger("omnivox.reports")

    async def listen(topic: str, payload: Mapping[str, Any]) -> None:
        if not (topic.startswith("routing.") or topic.startswith("ivr.")):
            return
        at = clock()
        contact = contact_id_of(topic, payload)
        applied: list[bool] = []
        if contact is not None:
            merge = partial(_merge, topic=topic, payload=payload, at=at, applied=applied)
            await store.merge_contact_record(contact, merge)
            if not applied:  # a late event for a finished contact says nothing of its agent
                log.debug("late %s for contact %s ignored", topic, contact)
                return
        for change in agent_changes(topic, payload):
            await store.record_agent_state(change.agent_id, change.state, change.reason, at)

    return listen


def _merge(
    current: Mapping[str, Any] | None,
    *,
    topic: str,
    payload: Mapping[str, Any],
    at: datetime,
    applied: list[bool],
) -> dict[str, Any] | None:
    merged = apply_event(current, topic, payload, at)
    applied[:] = [True] if merged is not None else []  # may be called again (insert race)
    return merged
