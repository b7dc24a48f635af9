"""The time calls happen at: a settable clock for the embedded server, and the default.

The default call time is Wednesday 5 March 2025, 10:00 UTC (13:00 in Moscow, 10:00 in
London): inside the opening hours of both shipped scenarios. For another scenario it moves on
hour by hour (up to a week) until every calendar the scenario declares is open.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from ivr.scenario import Scenario

DEFAULT_TIME = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)


def all_open(scenario: Scenario, when: datetime) -> bool:
    """Whether every opening-hours calendar of ``scenario`` is open at ``when``."""
    return all(calendar.is_open(when) for calendar in scenario.hours.values())


def default_time(scenario: Scenario) -> datetime:
    """The first hour from :data:`DEFAULT_TIME` when all of the scenario's calendars are open
    (:data:`DEFAULT_TIME` itself if no hour of that week is)."""
    for hours in range(24 * 7):
        when = DEFAULT_TIME + timedelta(hours=hours)
        if all_open(scenario, when):
            return when
    return DEFAULT_TIME


def closed_calendars(scenario: Scenario, when: datetime) -> list[str]:
    """Names (with zones) of the scenario's calendars closed at ``when``."""
    return [
        f"{name} ({calendar.timezone})"
        for name, calendar in sorted(scenario.hours.items())
        if not calendar.is_open(when)
    ]


class SimClock:
    """Runs at real speed from the time it was last :meth:`set` to; :meth:`advance` jumps."""

    def __init__(
        self, start: datetime = DEFAULT_TIME, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._monotonic = monotonic
        self._base = start
        self._t0 = monotonic()

    def __call__(self) -> datetime:
        return self._base + timedelta(seconds=self._monotonic() - self._t0)

    def set(self, when: datetime) -> None:
        self._base = when
        self._t0 = self._monotonic()

    def advance(self, by: timedelta) -> None:
        self._base += by
