"""Which services are behind their service-level target, for the router's decisions.

The counts live in the routing state (``RoutingState.service_levels``, shared by every
instance on a Redis); each router instance reads them on its tick, at most every
``every_s`` (1 s: one script of three ``ZCOUNT`` per service in Redis, ~1 ms for 50
services), and keeps the at-risk set (``routing.core.service_level``) until the next read,
so no decision reads them. The whole round passes the set as live state (``behind_lift``,
``sl_at_risk`` relaxation triggers), and per-event decisions (``routing.service.per_event``,
``at_risk=``) score the behind lift the same way; ``sl_at_risk`` triggers keep the whole
round (``per_event.exact``). A change of the set between reads creates no new match in a
steady state (the lift orders contacts, it makes no one eligible), so nothing is re-decided
when it changes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from routing.core.service_level import Tally, at_risk, uses_level
from routing.state import RoutingState


class ServiceLevels:
    """The at-risk set as this instance last read it (empty until the first read)."""

    def __init__(
        self, state: RoutingState, logger: logging.Logger | None = None, every_s: float = 1.0
    ) -> None:
        self._state = state
        self._log = logger or logging.getLogger("routing")
        self.every_s = every_s
        self._read_at: float | None = None  # the state's clock at the last read
        self.tallies: Mapping[str, Tally] = {}
        self.at_risk: frozenset[str] = frozenset()

    async def refresh(self) -> frozenset[str]:
        """Read the counts and recompute the set, unless read less than ``every_s`` ago
        (by the state's clock); on a failed read the last set stays. Not read at all while no
        service would act on being behind (``uses_level``)."""
        now = self._state.clock()
        last = self._read_at
        if last is not None and 0 <= now - last < self.every_s:
            return self.at_risk
        self._read_at = now
        services = self._state.services
        if not any(uses_level(s) for s in services.values()):
            self.tallies, self.at_risk = {}, frozenset()
            return self.at_risk
        try:
            tallies = await self._state.service_levels()
        except Exception:
            self._log.exception("reading service levels failed; keeping the last ones")
            return self.at_risk
        risky = at_risk(tallies, services)
        if risky != self.at_risk:
            self._log.info("services behind their service level: %s", sorted(risky) or "none")
        self.tallies, self.at_risk = tallies, risky
        return risky
