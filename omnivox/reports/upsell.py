"""Upsell signal: customers who call out of business hours, and customers whose use exceeds
what they bought.

Definitions:

* out_of_hours: the customer's inbound contacts (any channel) in the period outside the
  business calendar (``ivr.scenario.hours.Calendar``; default Monday to Friday 09:00-18:00
  UTC) — a customer who needs service when it is closed is a candidate for a premium plan.
* over usage, from profile data: a field ``<item>_used`` and a field ``<item>_included``
  (e.g. ``data_gb_used`` = 14, ``data_gb_included`` = 10), both numbers; the customer is
  over on ``<item>`` when used > included, by over_pct = 100 × (used − included) ÷ included.
* A customer is listed with either signal; rows by most signals, then out-of-hours contacts,
  then over_pct.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from customers.records import InteractionRecord
from ivr.scenario.hours import Calendar
from omnivox.reports.common import Report, Row, table

COLUMNS = (
    "customer_id",
    "name",
    "contacts",
    "out_of_hours",
    "over_items",
    "max_over_pct",
    "signals",
)
DEFAULT_HOURS = Calendar("business", "UTC", {day: ((9 * 60, 18 * 60),) for day in range(5)})


@dataclass(frozen=True, slots=True)
class Overuse:
    customer_id: int
    item: str
    used: float
    included: float

    @property
    def over_pct(self) -> float | None:
        return (
            round(100.0 * (self.used - self.included) / self.included, 1) if self.included else None
        )

    def label(self) -> str:
        return f"{self.item} {self.used:g}/{self.included:g}"


def _number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def overuse(usage: Sequence[tuple[int, str, str]]) -> list[Overuse]:
    """Items used beyond what is included, from ``(customer, field, value)`` profile data."""
    values: dict[tuple[int, str], dict[str, float]] = {}
    for customer, name, text in usage:
        for suffix in ("_used", "_included"):
            number = _number(text)
            if name.endswith(suffix) and len(name) > len(suffix) and number is not None:
                values.setdefault((customer, name[: -len(suffix)]), {})[suffix] = number
    return [
        Overuse(customer, item, pair["_used"], pair["_included"])
        for (customer, item), pair in sorted(values.items())
        if "_used" in pair and "_included" in pair and pair["_used"] > pair["_included"]
    ]


def upsell_report_of(
    interactions: Sequence[InteractionRecord],
    usage: Sequence[tuple[int, str, str]],
    *,
    hours: Calendar = DEFAULT_HOURS,
    names: Mapping[int, str | None] | None = None,
) -> Report:
    """The definition over loaded interactions (the store reads only the inbound ones'
    customer and time: ``CustomerStore.report_inbound``)."""
    inbound = [(i.customer_id, i.occurred_at) for i in interactions if i.direction == "in"]
    return upsell_report(inbound, usage, hours=hours, names=names)


def upsell_report(
    inbound: Sequence[tuple[int, datetime]],
    usage: Sequence[tuple[int, str, str]],
    *,
    hours: Calendar = DEFAULT_HOURS,
    names: Mapping[int, str | None] | None = None,
) -> Report:
    """One row per customer with an upsell signal, from ``(customer, time)`` of each inbound
    contact in the period (the business calendar, with its time zone, is Python's)."""
    names = names or {}
    contacts: dict[int, int] = {}
    closed: dict[int, int] = {}
    for customer, at in inbound:
        contacts[customer] = contacts.get(customer, 0) + 1
        if not hours.is_open(at):
            closed[customer] = closed.get(customer, 0) + 1
    over: dict[int, list[Overuse]] = {}
    for found in overuse(usage):
        over.setdefault(found.customer_id, []).append(found)
    rows: list[Row] = []
    for customer in sorted(set(closed) | set(over)):
        items = over.get(customer, [])
        percents = [o.over_pct for o in items if o.over_pct is not None]
        signals = [
            name for name, on in (("out_of_hours", customer in closed), ("over_usage", items)) if on
        ]
        rows.append(
            {
                "customer_id": customer,
                "name": names.get(customer),
                "contacts": contacts.get(customer, 0),
                "out_of_hours": closed.get(customer, 0),
                "over_items": [o.label() for o in items],
                "max_over_pct": max(percents) if percents else None,
                "signals": signals,
            }
        )
    rows.sort(key=lambda r: (-len(r["signals"]), -r["out_of_hours"], -(r["max_over_pct"] or 0)))
    return table(
        "upsell",
        COLUMNS,
        rows,
        {
            "customers": len(rows),
            "out_of_hours_customers": len(closed),
            "over_usage_customers": len(over),
            "hours": hours.name,
            "timezone": hours.timezone,
        },
    )
