"""Service level over a rolling window, and which services are behind target ("at risk").

Per service, over the last ``service.sl_window_s`` seconds (default 900)::

    level % = 100 * met / (met + missed + late)

- ``met``: contacts answered within ``sl_target_s`` of entering (waited <= target);
- ``missed``: contacts answered later, and contacts whose caller abandoned, at any wait (as
  the replay's service level counts them, :class:`routing.core.stats.ServiceStats`);
- ``late``: contacts not answered yet (waiting or ringing) that have already waited more than
  ``sl_target_s``: certain misses, counted now, so a service failing right now is behind
  before any outcome arrives.

An outcome is recorded once per contact, when it is answered or abandoned (at ``at``), and
counts while ``at >= now - sl_window_s``; whether it met the target is decided then, with
the target in force. A service is at risk when its level is below ``sl_percent``. With
nothing counted (no outcome in the window, nobody late) it has no level and is not at risk.

Pure, no clock: the stores keep the counts (:class:`LevelBook` in process, used by
``MemoryState`` and the replay; ``RedisState`` in sorted sets, ``routing.state.lua_levels``)
and callers pass ``now``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from routing.core.model import Service, ServiceLive

DEFAULT_WINDOW_S = 900.0


@dataclass(frozen=True, slots=True)
class Tally:
    """What one service's level counts now (see the module docstring)."""

    met: int = 0
    missed: int = 0
    late: int = 0

    @property
    def counted(self) -> int:
        return self.met + self.missed + self.late

    @property
    def percent(self) -> float | None:
        """The service level in percent; None with nothing counted."""
        return 100.0 * self.met / self.counted if self.counted else None

    def to_dict(self) -> dict[str, object]:
        return {"met": self.met, "missed": self.missed, "late": self.late, "percent": self.percent}


def met_target(waited_s: float, service: Service) -> bool:
    """Whether a contact answered after ``waited_s`` counts as within the target."""
    return waited_s <= service.sl_target_s


def window_start(service: Service, now: float) -> float:
    """Outcomes at or after this time count at ``now``."""
    return now - service.sl_window_s


def late_before(service: Service, now: float) -> float:
    """An unanswered contact that entered strictly before this is late at ``now``."""
    return now - service.sl_target_s


def behind(tally: Tally, service: Service) -> bool:
    """Whether ``service`` is below its service-level target (at risk)."""
    percent = tally.percent
    return percent is not None and percent < service.sl_percent


def at_risk(tallies: Mapping[str, Tally], services: Mapping[str, Service]) -> frozenset[str]:
    """The services (of ``services``) whose tally puts them behind target."""
    return frozenset(
        name
        for name, tally in tallies.items()
        if name in services and behind(tally, services[name])
    )


def uses_level(service: Service) -> bool:
    """Whether being at risk changes anything for ``service``'s contacts (a behind lift, or
    a relaxation step keyed on it)."""
    return service.behind_lift != 0 or any(step.sl_at_risk for step in service.relax)


def risk_flags(names: Iterable[str]) -> dict[str, ServiceLive]:
    """Live state that says only "at risk", for these services: what per-event decisions
    pass when no other live trigger is configured (queue length and ready agents unknown)."""
    flagged = ServiceLive(sl_at_risk=True)
    return dict.fromkeys(names, flagged)


class LevelBook:
    """Recorded outcomes and unanswered contacts per service, in process.

    :meth:`entered` when a contact is queued, :meth:`outcome` when it is answered or
    abandoned (once; later calls for it are ignored), :meth:`tally` to read. Outcomes older
    than their service's window are dropped as they are passed, so memory stays bounded by
    the outcomes of one window plus the contacts not answered yet.
    """

    def __init__(self) -> None:
        self._outcomes: dict[str, list[tuple[float, str, bool]]] = {}  # service -> by time
        self._recorded: dict[str, set[str]] = {}  # service -> contact ids in _outcomes
        self._met: dict[str, int] = {}  # service -> outcomes in _outcomes that met the target
        self._open: dict[str, list[tuple[float, str]]] = {}  # service -> (entered_at, id)
        self._entered: dict[str, tuple[str, float]] = {}  # contact id -> (service, entered)

    def entered(self, contact_id: str, service: str, entered_at: float) -> None:
        """A contact of ``service`` is waiting since ``entered_at`` (no outcome yet)."""
        if contact_id in self._entered:
            return
        self._entered[contact_id] = (service, entered_at)
        insort(self._open.setdefault(service, []), (entered_at, contact_id))

    def outcome(self, contact_id: str, service: Service, at: float, met: bool) -> bool:
        """Record the contact's outcome at ``at``; False if it was already recorded."""
        self._close(contact_id)
        ids = self._recorded.setdefault(service.name, set())
        if contact_id in ids:
            return False
        ids.add(contact_id)
        insort(self._outcomes.setdefault(service.name, []), (at, contact_id, met))
        self._met[service.name] = self._met.get(service.name, 0) + met
        self._trim(service.name, window_start(service, at))
        return True

    def tally(self, service: Service, now: float) -> Tally:
        """The service's counts at ``now``."""
        self._trim(service.name, window_start(service, now))
        rows = self._outcomes.get(service.name, [])
        met = self._met.get(service.name, 0)
        late = bisect_left(self._open.get(service.name, []), (late_before(service, now),))
        return Tally(met, len(rows) - met, late)

    def entered_between(self, service: str, after: float, upto: float) -> list[str]:
        """The contacts of ``service`` not answered yet that entered in ``(after, upto]``."""
        rows = self._open.get(service, [])
        lo = bisect_right(rows, (after, "\U0010ffff"))
        hi = bisect_right(rows, (upto, "\U0010ffff"))
        return [contact_id for _, contact_id in rows[lo:hi]]

    def _close(self, contact_id: str) -> None:
        found = self._entered.pop(contact_id, None)
        if found is None:
            return
        service, entered_at = found
        rows = self._open[service]
        i = bisect_left(rows, (entered_at, contact_id))
        if i < len(rows) and rows[i] == (entered_at, contact_id):
            del rows[i]

    def _trim(self, name: str, since: float) -> None:
        rows = self._outcomes.get(name)
        if not rows or rows[0][0] >= since:
            return
        cut = bisect_left(rows, (since,))
        for _, contact_id, met in rows[:cut]:
            self._recorded[name].discard(contact_id)
            self._met[name] -= met
        del rows[:cut]
