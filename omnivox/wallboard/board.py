"""The wallboard's content, computed without I/O: the board, and the bounds of a local day.

The board is built from the router's read API (``agents()``, ``contacts()`` as JSON dicts) and
its services (``routing.core.model.Service``: ``sl_target_s``, ``sl_percent``,
``sl_window_s``), and two service levels per service, side by side:

- ``sl``, today: counts the feed reads from the store (the reports' rule: answered within the
  target / (answered + abandoned), in percent, over contacts queued today, local day);
- ``live``: the router's rolling window (``Router.levels``: ``routing.core.service_level``,
  met / (met + missed + late) over the last ``sl_window_s``), with ``behind`` from the
  router's own at-risk set: what its decisions act on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol

# the order agents are listed and counted in; a state not named here comes last
STATES = ("ready", "reserved", "on_call", "wrap_up", "not_ready", "offline")
UNANSWERED = ("waiting", "offered")  # the caller still hears hold music (offered: ringing)


class ServiceTarget(Protocol):
    """What the board reads of a service (``routing.core.model.Service`` has it)."""

    @property
    def sl_target_s(self) -> float: ...

    @property
    def sl_percent(self) -> float: ...

    @property
    def sl_window_s(self) -> float: ...


class WindowCounts(Protocol):
    """One service's counts over its rolling window (``routing.core.service_level.Tally``)."""

    @property
    def met(self) -> int: ...

    @property
    def missed(self) -> int: ...

    @property
    def late(self) -> int: ...


@dataclass(slots=True)
class LevelCounts:
    """One service's outcomes today (the store's figures for the day)."""

    answered: int = 0
    in_target: int = 0  # answered within the service's target
    abandoned: int = 0

    @property
    def percent(self) -> float | None:
        """Answered within target / (answered + abandoned), in percent; None before any."""
        done = self.answered + self.abandoned
        return round(100.0 * self.in_target / done, 1) if done else None


def day_bounds(day: date, tz: tzinfo | None) -> tuple[datetime, datetime]:
    """Local midnight starting ``day`` and the next one, timezone-aware (``tz`` None: the
    machine's local zone)."""

    def midnight(d: date) -> datetime:
        moment = datetime.combine(d, time.min)
        return moment.replace(tzinfo=tz) if tz is not None else moment.astimezone()

    return midnight(day), midnight(day + timedelta(days=1))


def live_level(
    counts: WindowCounts | None, service: ServiceTarget | None, behind: bool
) -> dict[str, Any]:
    """The router's live service level of one service as JSON.

    ``percent`` is met / (met + missed + late), rounded down to 0.1 so a level shown at the
    goal is never behind it; None with nothing counted, or while the router has no figure
    for the service (``measured`` False: before its first read, or while no service acts on
    its level). ``status``: "behind" when the router has it at risk, else "none" without a
    percent, else "ok"."""
    met, missed, late = (
        (_count(counts.met), _count(counts.missed), _count(counts.late))
        if counts is not None
        else (0, 0, 0)
    )
    total = met + missed + late
    percent = (1000 * met // total) / 10 if total else None
    return {
        "window_s": service.sl_window_s if service is not None else None,
        "measured": counts is not None,
        "met": met,
        "missed": missed,
        "late": late,
        "percent": percent,
        "behind": behind,
        "status": "behind" if behind else "none" if percent is None else "ok",
    }


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"a service-level count must be a whole number >= 0, not {value!r}")
    return value


def _state_rank(state: str) -> int:
    return STATES.index(state) if state in STATES else len(STATES)


def _seconds(value: Any) -> float:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return 0.0


def _service_names(
    services: Mapping[str, ServiceTarget], agents: Iterable[Mapping[str, Any]], contacts: list
) -> list[str]:
    # configured services first (config order), then any a contact or agent still names
    names = list(services)
    for extra in [c.get("service") for c in contacts] + [
        s for a in agents for s in a.get("services") or ()
    ]:
        if isinstance(extra, str) and extra not in names:
            names.append(extra)
    return names


def build_board(
    services: Mapping[str, ServiceTarget],
    agents: list[Mapping[str, Any]],
    contacts: list[Mapping[str, Any]],
    levels: Mapping[str, LevelCounts],
    *,
    now: float,
    day: date,
    live: Mapping[str, WindowCounts] | None = None,
    at_risk: Set[str] = frozenset(),
) -> dict[str, Any]:
    """The board as JSON: per service the callers waiting and the oldest wait, service level
    today (``levels``) and live (``live``, ``at_risk``: the router's) and member agents by
    state; every agent signed in (not offline) with time in state."""
    live = live or {}
    rows = []
    for name in _service_names(services, agents, contacts):
        mine = [c for c in contacts if c.get("service") == name]
        unanswered = [c for c in mine if c.get("phase") in UNANSWERED]
        members = [a for a in agents if name in (a.get("services") or ())]
        service = services.get(name)
        counts = levels.get(name, LevelCounts())
        percent = counts.percent
        goal = service.sl_percent if service is not None else None
        rows.append(
            {
                "name": name,
                "waiting": len(unanswered),
                "ringing": sum(1 for c in unanswered if c.get("phase") == "offered"),
                "talking": len(mine) - len(unanswered),
                "oldest_wait_s": max((_seconds(c.get("wait_s")) for c in unanswered), default=0),
                "sl": {
                    "target_s": service.sl_target_s if service is not None else None,
                    "goal_percent": goal,
                    "answered": counts.answered,
                    "in_target": counts.in_target,
                    "abandoned": counts.abandoned,
                    "percent": percent,
                    "status": (
                        "none"
                        if percent is None or goal is None
                        else "ok"
                        if percent >= goal
                        else "behind"
                    ),
                },
                "live": live_level(live.get(name), service, name in at_risk),
                "agents": _by_state(members),
            }
        )
    signed_in = [a for a in agents if a.get("state") != "offline"]
    signed_in.sort(key=lambda a: (_state_rank(str(a.get("state"))), -_seconds(a.get("in_state_s"))))
    return {
        "type": "board",
        "at": now,
        "day": day.isoformat(),
        "services": rows,
        "agents": [
            {
                "id": a.get("id"),
                "name": a.get("name") or a.get("login") or str(a.get("id")),
                "state": a.get("state"),
                "reason": a.get("reason"),
                "in_state_s": _seconds(a.get("in_state_s")),
                "services": sorted(a.get("services") or ()),
                "team": a.get("team"),
            }
            for a in signed_in
        ],
        "totals": {
            "waiting": sum(r["waiting"] for r in rows),
            "behind": sum(1 for r in rows if r["live"]["behind"]),
            "agents": _by_state(agents),
        },
    }


def _by_state(agents: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    for agent in agents:
        state = str(agent.get("state"))
        counts[state] = counts.get(state, 0) + 1
    return counts
