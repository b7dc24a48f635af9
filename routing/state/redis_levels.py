"""The Redis store's service-level counts (``routing.core.service_level``), shared by every
router instance on the store: outcomes and unanswered contacts in sorted sets, kept by the
transition scripts themselves, atomically (``enqueue`` lists the contact as pending,
``confirm`` records it answered, met or missed, ``remove_contact`` of a contact not answered
records it abandoned; see :mod:`routing.state.lua_levels`). Mixed into
:class:`routing.state.redis_state.RedisState`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from routing.core.model import Service
from routing.core.service_level import Tally, late_before, window_start
from routing.state.codec import fmt, text


class RedisLevels:
    """Service-level counts over the store's ``_run`` and ``_command``."""

    services: dict[str, Service]
    prefix: str
    clock: Callable[[], float]

    async def _run(self, name: str, *args: str) -> Any:
        raise NotImplementedError

    async def _command(self, *args: str) -> Any:
        raise NotImplementedError

    def _level_args(self, service: Service, entered_at: float) -> tuple[str, str, str]:
        """What ``enqueue`` stores for the contact's outcome: when it entered, the target
        and the window in force (the outcome is judged against them)."""
        return fmt(entered_at), fmt(service.sl_target_s), fmt(service.sl_window_s)

    async def entered_between(self, service: str, after: float, upto: float) -> list[str]:
        key = f"{self.prefix}pend:{service}"
        ids = await self._command("ZRANGEBYSCORE", key, f"({fmt(after)}", fmt(upto))
        return [text(x) for x in ids]

    async def service_levels(self) -> dict[str, Tally]:
        now = self.clock()
        names = sorted(self.services)
        if not names:
            return {}
        args: list[str] = []
        for name in names:
            service = self.services[name]
            args += [name, fmt(window_start(service, now)), fmt(late_before(service, now))]
        rows = await self._run("sl_levels", *args)
        return {name: _tally(row) for name, row in zip(names, rows, strict=True)}


def _tally(row: Any) -> Tally:
    met, missed, late = (int(x) for x in row)
    return Tally(met, missed, late)
