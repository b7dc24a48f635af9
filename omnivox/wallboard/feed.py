"""The live side of the wallboard: counts today's outcomes from the bus, and pushes a fresh
board to every open socket shortly after a change (debounced) and every few seconds.

Service level today is counted from the ``routing.answered`` / ``routing.abandoned`` events
this process sees, from its start or local midnight: it is per instance. With several
instances behind one Redis each shows the calls it routed itself, and a restart starts the
day's tally again (the reports, computed from the store, are the complete figure).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime, tzinfo
from typing import Any, Protocol

from omnivox.wallboard.board import Outcome, ServiceLevelToday, ServiceTarget, build_board

OUTCOMES: dict[str, Outcome] = {"routing.answered": "answered", "routing.abandoned": "abandoned"}


class BoardSource(Protocol):
    """The router's read API (``routing.service.Router``)."""

    @property
    def services(self) -> Mapping[str, ServiceTarget]: ...

    async def agents(self) -> list[dict[str, Any]]: ...

    async def contacts(self) -> list[dict[str, Any]]: ...


class Subscriber:
    """One socket's mailbox: only the latest board is kept, so a slow socket skips boards
    instead of holding up the others."""

    def __init__(self) -> None:
        self._latest = ""
        self._ready = asyncio.Event()

    def offer(self, text: str) -> None:
        self._latest = text
        self._ready.set()

    async def next(self) -> str:
        await self._ready.wait()
        self._ready.clear()
        return self._latest


class Wallboard:
    """Board state and fan-out. ``on_bus`` is an EventBus listener; ``run`` is the push loop."""

    def __init__(
        self,
        source: BoardSource,
        *,
        clock: Callable[[], float] = time.time,
        tz: tzinfo | None = None,
        debounce_s: float = 0.2,
        period_s: float = 2.0,
        logger: logging.Logger | None = None,
    ) -> None:
        self.source = source
        self.levels = ServiceLevelToday()
        self._clock = clock
        self._tz = tz  # None: the machine's local time zone
        self.debounce_s = debounce_s
        self.period_s = period_s
        self._log = logger or logging.getLogger("omnivox.wallboard")
        self._changed = asyncio.Event()
        self._subscribers: set[Subscriber] = set()

    def now(self) -> float:
        return self._clock()

    def today(self) -> date:
        """The local date now (the service-level tally restarts at local midnight)."""
        return datetime.fromtimestamp(self._clock(), self._tz).date()

    async def on_bus(self, topic: str, payload: Mapping[str, Any]) -> None:
        """Count answered/abandoned contacts; any routing event marks the board changed."""
        if not topic.startswith("routing."):
            return
        outcome = OUTCOMES.get(topic)
        service = payload.get("service")
        if outcome is not None and isinstance(service, str):
            target = self.source.services.get(service)
            self.levels.record(
                self.today(),
                service,
                outcome,
                float(payload.get("wait_s") or 0.0),
                target.sl_target_s if target is not None else None,
            )
        self._changed.set()

    async def board(self) -> dict[str, Any]:
        """A fresh board from the router's current state."""
        agents = await self.source.agents()
        contacts = await self.source.contacts()
        day = self.today()
        return build_board(
            self.source.services,
            agents,
            contacts,
            self.levels.on(day),
            now=self._clock(),
            day=day,
        )

    def subscribe(self) -> Subscriber:
        subscriber = Subscriber()
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    async def run(self) -> None:
        """Push a board ``debounce_s`` after a change (changes meanwhile ride along), and
        every ``period_s`` anyway so waits and times in state advance."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.period_s):
                    await self._changed.wait()
                await asyncio.sleep(self.debounce_s)
            self._changed.clear()
            if not self._subscribers:
                continue
            try:
                text = json.dumps(await self.board())
            except Exception:
                self._log.exception("wallboard: reading the router failed")
                continue
            for subscriber in list(self._subscribers):
                subscriber.offer(text)
