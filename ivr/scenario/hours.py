"""Named opening-hours calendars declared in a scenario, each in its own time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from ivr.scenario.source import Pos

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class Calendar:
    """Weekly opening ranges (minutes from midnight, end exclusive) and closed dates."""

    name: str
    timezone: str
    weekly: dict[int, tuple[tuple[int, int], ...]]  # weekday 0=Monday -> ranges
    closed_dates: frozenset[date] = frozenset()
    pos: Pos = field(default=Pos(1, 1), compare=False)

    def is_open(self, now: datetime) -> bool:
        """Whether ``now`` (timezone-aware) falls in an opening range in this calendar's zone."""
        if now.tzinfo is None:
            raise ValueError(f"calendar {self.name!r} needs a timezone-aware time, got {now!r}")
        local = now.astimezone(ZoneInfo(self.timezone))
        if local.date() in self.closed_dates:
            return False
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.weekly.get(local.weekday(), ()))


def parse_days(spec: str) -> list[int]:
    """``"mon-fri"`` -> [0..4], ``"sat"`` -> [5], ``"sat,sun"`` -> [5, 6]; raises ValueError."""
    out: list[int] = []
    for piece in spec.lower().split(","):
        piece = piece.strip()
        if "-" in piece:
            first, last = (p.strip() for p in piece.split("-", 1))
            if first not in DAYS or last not in DAYS:
                raise ValueError(f"bad day range {piece!r} (days are {', '.join(DAYS)})")
            a, b = DAYS.index(first), DAYS.index(last)
            if b < a:
                raise ValueError(f"day range {piece!r} runs backwards")
            out.extend(range(a, b + 1))
        elif piece in DAYS:
            out.append(DAYS.index(piece))
        else:
            raise ValueError(f"bad day {piece!r} (days are {', '.join(DAYS)})")
    return out


def parse_range(spec: str) -> tuple[int, int]:
    """``"09:00-18:00"`` -> (540, 1080); ``24:00`` ends a day; raises ValueError."""
    match = _RANGE.match(spec)
    if not match:
        raise ValueError(f"bad time range {spec!r} (expected HH:MM-HH:MM)")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > 24 * 60:
        raise ValueError(f"bad time in range {spec!r}")
    if end <= start:
        raise ValueError(f"time range {spec!r} must end after it starts (split ranges at midnight)")
    return start, end
