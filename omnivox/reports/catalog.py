"""Every report by name: what it reads from the store and which pure function computes it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from customers.store import CustomerStore
from ivr.scenario.hours import Calendar
from omnivox.reports.agents import agent_report
from omnivox.reports.channels import WINDOW_DAYS, channel_report
from omnivox.reports.common import Report
from omnivox.reports.ivr import exits_report, ivr_report
from omnivox.reports.personalisation import SECONDS_PER_OPTION, personalisation_report
from omnivox.reports.services import DEFAULT_TARGET_S, service_report
from omnivox.reports.upsell import DEFAULT_HOURS, upsell_report

Targets = Callable[[str], float | None]


@dataclass(frozen=True, slots=True)
class Query:
    """A report request: the period ``[start, end)`` and an optional service."""

    start: datetime
    end: datetime
    service: str | None = None


@dataclass(frozen=True, slots=True)
class Sources:
    """Where reports read from, and the parameters of their definitions."""

    store: CustomerStore
    clock: Callable[[], datetime]
    targets: Targets = field(default=lambda _service: None)
    default_target_s: float = DEFAULT_TARGET_S
    hours: Calendar = DEFAULT_HOURS
    seconds_per_option: float = SECONDS_PER_OPTION
    window_days: float = WINDOW_DAYS


Loader = Callable[[Sources, Query], Awaitable[Report]]


@dataclass(frozen=True, slots=True)
class Entry:
    title: str
    load: Loader
    by_service: bool  # whether ``service=`` narrows it


def _target(s: Sources, service: str) -> float:
    found = s.targets(service)
    return float(found) if found is not None else s.default_target_s


async def _services(s: Sources, q: Query) -> Report:
    names = await s.store.report_services(q.start, q.end, service=q.service)
    targets = {name: _target(s, name) for name in names}
    figures = await s.store.service_figures(
        q.start, q.end, targets=targets, default_target_s=s.default_target_s, service=q.service
    )
    return service_report(figures, targets)


async def _agents(s: Sources, q: Query) -> Report:
    contacts, states = await s.store.agent_figures(q.start, q.end, now=s.clock(), service=q.service)
    names = {str(a.id): a.name for a in await s.store.list_agents()}
    return agent_report(contacts, states, names=names)


async def _ivr(s: Sources, q: Query) -> Report:
    statuses = await s.store.report_journey_statuses(q.start, q.end, service=q.service)
    return ivr_report(statuses, await s.store.report_paths(q.start, q.end, service=q.service))


async def _exits(s: Sources, q: Query) -> Report:
    return exits_report(await s.store.report_exits(q.start, q.end, service=q.service))


async def _personalisation(s: Sources, q: Query) -> Report:
    journeys = await s.store.report_paths(q.start, q.end, service=q.service)
    return personalisation_report(journeys, seconds_per_option=s.seconds_per_option)


async def _channels(s: Sources, q: Query) -> Report:
    figures = await s.store.channel_figures(q.start, q.end, window_days=s.window_days)
    switches = await s.store.report_switches(q.start, q.end)
    return channel_report(figures, switches, window_days=s.window_days)


async def _upsell(s: Sources, q: Query) -> Report:
    inbound = await s.store.report_inbound(q.start, q.end)
    usage = await s.store.report_usage()
    report = upsell_report(inbound, usage, hours=s.hours)
    names = await s.store.customer_names([r["customer_id"] for r in report.rows])
    for row in report.rows:
        row["name"] = names.get(row["customer_id"])
    return report


REPORTS: dict[str, Entry] = {
    "services": Entry("Services", _services, True),
    "agents": Entry("Agents", _agents, True),
    "ivr": Entry("IVR containment and speech", _ivr, True),
    "ivr-exits": Entry("Where callers leave the IVR", _exits, True),
    "personalisation": Entry("Personalisation effect", _personalisation, True),
    "channels": Entry("Channels", _channels, False),
    "upsell": Entry("Upsell signal", _upsell, False),
}
