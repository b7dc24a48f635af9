"""The Redis store's service-level counts (``routing.core.service_level``), shared by every
router instance on the store: outcomes and unanswered contacts in sorted sets (scripts in
:mod:`routing.state.lua_levels`). Mixed into :class:`routing.state.redis_state.RedisState`.

Written from Python right after the transition that settles a contact returns (the
transition scripts stay as they are): ``enqueue`` adds the contact to ``pend:<service>``,
``confirm`` records answered (met or missed), ``remove_contact`` of a contact not answered
records abandoned. An outcome is recorded once per contact id (the script checks); a
pending id left behind (a process stopped between the two calls) is dropped when it is
read as late and its contact is gone or answered.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from routing.core.model import Contact, Service
from routing.core.service_level import Tally, late_before, met_target, window_start
from routing.state.codec import fmt
from routing.state.model import Confirmed, ContactView


class RedisLevels:
    """Service-level bookkeeping over the store's ``_run`` and ``_command``."""

    services: dict[str, Service]
    prefix: str
    clock: Callable[[], float]

    async def _run(self, name: str, *args: str) -> Any:
        raise NotImplementedError

    async def _command(self, *args: str) -> Any:
        raise NotImplementedError

    def _entered_args(self, contact: Contact) -> tuple[str, ...]:
        """The command that lists a queued contact as pending (not answered yet)."""
        key = f"{self.prefix}pend:{contact.service}"
        return ("ZADD", key, "NX", fmt(contact.entered_at), contact.id)

    async def _outcome(self, view: ContactView, at: float, met: bool) -> None:
        """Record ``view``'s contact as answered (``met`` or not) or abandoned at ``at``."""
        service = self.services.get(view.contact.service)
        if service is None:  # its service left the config: nothing counts it any more
            return
        ttl_ms = math.ceil(service.sl_window_s * 1000) + 1000
        await self._run(
            "sl_record",
            service.name,
            view.id,
            fmt(at),
            "1" if met else "0",
            fmt(window_start(service, at)),
            str(ttl_ms),
        )

    async def confirm(self, contact_id: str, *, token: int | None = None) -> Confirmed:
        """The store's confirm (next in the MRO), then the answer's outcome."""
        confirmed: Confirmed = await super().confirm(contact_id, token=token)  # type: ignore[misc]
        view = confirmed.view
        at = view.answered_at if view.answered_at is not None else self.clock()
        service = self.services.get(view.contact.service)
        if service is not None:
            await self._outcome(view, at, met_target(at - view.contact.entered_at, service))
        return confirmed

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
