"""The live side of the wallboard: reads today's service level from the shared store and pushes
a fresh board to every open socket shortly after a change (debounced) and every few seconds.

Service level today comes from the reports' contact rows (``report_contacts``, written by the
recorder on every instance): one GROUP BY per refresh, so every instance over one database
shows the same figure and a restart keeps it. The figures are read again when this instance
sees a contact answered or abandoned, and otherwise when they are older than ``refresh_s``
(1 s), which is how another instance's calls show up here.

The live service level (rolling window, behind target) is what the router last read
(``Router.levels``, refreshed on its tick at most every second from the shared routing state):
no read of its own, so a board shows it at most a tick plus a push (``period_s``) late.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Set
from datetime import date, datetime, tzinfo
from typing import Any, Protocol

from customers.store.report_queries import ServiceFigures
from omnivox.reports.services import DEFAULT_TARGET_S
from omnivox.wallboard.board import (
    LevelCounts,
    ServiceTarget,
    WindowCounts,
    build_board,
    day_bounds,
)

OUTCOMES = frozenset({"routing.answered", "routing.abandoned"})


class LiveLevels(Protocol):
    """The service levels a router last read (``routing.service.levels.ServiceLevels``)."""

    @property
    def tallies(self) -> Mapping[str, WindowCounts]: ...

    @property
    def at_risk(self) -> Set[str]: ...


class BoardSource(Protocol):
    """The router's read API (``routing.service.Router``)."""

    @property
    def services(self) -> Mapping[str, ServiceTarget]: ...

    @property
    def levels(self) -> LiveLevels: ...

    async def agents(self) -> list[dict[str, Any]]: ...

    async def contacts(self) -> list[dict[str, Any]]: ...


class LevelStore(Protocol):
    """The store's per-service figures (``customers.store.CustomerStore``)."""

    async def service_figures(
        self,
        start: datetime,
        end: datetime,
        *,
        targets: Mapping[str, float | None],
        default_target_s: float | None,
        service: str | None = None,
    ) -> list[ServiceFigures]: ...


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
        store: LevelStore,
        *,
        clock: Callable[[], float] = time.time,
        tz: tzinfo | None = None,
        debounce_s: float = 0.2,
        period_s: float = 2.0,
        refresh_s: float = 1.0,
        default_target_s: float = DEFAULT_TARGET_S,
        logger: logging.Logger | None = None,
    ) -> None:
        self.source = source
        self.store = store
        self._clock = clock
        self._tz = tz  # None: the machine's local time zone
        self.debounce_s = debounce_s
        self.period_s = period_s
        self.refresh_s = refresh_s
        self.default_target_s = default_target_s  # the reports' target for unknown services
        self.queries = 0  # service-level reads so far
        self._levels: dict[str, LevelCounts] = {}
        self._levels_key: tuple[date, float] | None = None  # the day read and when
        self._outcome_seen = True
        self._lock = asyncio.Lock()
        self._log = logger or logging.getLogger("omnivox.wallboard")
        self._changed = asyncio.Event()
        self._subscribers: set[Subscriber] = set()

    def now(self) -> float:
        return self._clock()

    def today(self) -> date:
        """The local date now (the service-level tally restarts at local midnight)."""
        return datetime.fromtimestamp(self._clock(), self._tz).date()

    async def on_bus(self, topic: str, payload: Mapping[str, Any]) -> None:
        """Any routing event marks the board changed; an answer or abandon, the levels too.

        Listen after the reports' recorder, so the contact row is written when the levels
        are read again."""
        if not topic.startswith("routing."):
            return
        if topic in OUTCOMES:
            self._outcome_seen = True
        self._changed.set()

    async def levels(self) -> Mapping[str, LevelCounts]:
        """Today's service-level counts per service, from the store: read again after an
        outcome seen here, on a new day, or once older than ``refresh_s``. A failed read is
        logged and the last figures are kept."""
        day, now = self.today(), self._clock()
        async with self._lock:
            key = self._levels_key
            fresh = key is not None and key[0] == day and now - key[1] < self.refresh_s
            if fresh and not self._outcome_seen:
                return self._levels
            self._outcome_seen = False
            start, end = day_bounds(day, self._tz)
            targets = {name: s.sl_target_s for name, s in self.source.services.items()}
            try:
                figures = await self.store.service_figures(
                    start, end, targets=targets, default_target_s=self.default_target_s
                )
            except Exception:
                self._log.exception("wallboard: reading today's service level failed")
                return self._levels if key is not None and key[0] == day else {}
            self.queries += 1
            self._levels = {
                f.service: LevelCounts(f.answered, f.in_target, f.abandoned) for f in figures
            }
            self._levels_key = (day, now)
            return self._levels

    async def board(self) -> dict[str, Any]:
        """A fresh board from the router's current state, today's service level and the
        router's live one."""
        agents = await self.source.agents()
        contacts = await self.source.contacts()
        levels = await self.levels()
        live = self.source.levels
        return build_board(
            self.source.services,
            agents,
            contacts,
            levels,
            now=self._clock(),
            day=self.today(),
            live=live.tallies,
            at_risk=live.at_risk,
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
