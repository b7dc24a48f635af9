"""Report request parameters from a query string; :class:`BadParameter` names the field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

DEFAULT_PERIOD = timedelta(days=7)
MAX_PERIOD = timedelta(days=366)
KNOWN = frozenset({"from", "to", "service", "format", "sort", "order"})
FORMATS = ("json", "csv")


class BadParameter(ValueError):
    """A query parameter that cannot be used; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True, slots=True)
class Params:
    start: datetime
    end: datetime
    service: str | None
    format: str
    sort: str | None
    descending: bool


def instant(field: str, text: str, *, end_of_day: bool = False) -> datetime:
    """An ISO 8601 date or date-time; a date is midnight UTC (the next midnight for ``to``,
    so ``to=2026-03-08`` includes that day); a date-time without an offset is UTC."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(field, f"expected an ISO 8601 date or date-time, got {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse(query: Mapping[str, str], now: datetime, *, fmt: str | None = None) -> Params:
    """Check every parameter of a report request; ``fmt`` is a format the path gave."""
    for name in query:
        if name not in KNOWN:
            raise BadParameter(name, f"unknown parameter; expected {', '.join(sorted(KNOWN))}")
    end = instant("to", query["to"], end_of_day=True) if query.get("to") else now
    start = instant("from", query["from"]) if query.get("from") else end - DEFAULT_PERIOD
    if start >= end:
        raise BadParameter("from", f"must be before to ({end.isoformat()})")
    if end - start > MAX_PERIOD:
        raise BadParameter("from", f"the period is longer than {MAX_PERIOD.days} days")
    service = query.get("service")
    if service is not None and not (0 < len(service.strip()) <= 100):
        raise BadParameter("service", "expected a service name of 1 to 100 characters")
    chosen = query.get("format")
    if chosen is not None and chosen not in FORMATS:
        raise BadParameter("format", f"expected one of {', '.join(FORMATS)}, got {chosen!r}")
    if fmt is not None and chosen is not None and chosen != fmt:
        raise BadParameter("format", f"{chosen!r} contradicts the path's .{fmt}")
    order = query.get("order")
    if order is not None and order not in ("asc", "desc"):
        raise BadParameter("order", f"expected asc or desc, got {order!r}")
    sort = query.get("sort") or None
    if order is not None and sort is None:
        raise BadParameter("order", "needs sort=<column>")
    return Params(
        start=start,
        end=end,
        service=service.strip() if service else None,
        format=fmt or chosen or "json",
        sort=sort,
        descending=order != "asc",
    )
