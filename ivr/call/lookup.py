"""Who is calling and what we already know: the customer store turned into a CallContext."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from customers.exceptions import InvalidValue
from customers.identities import normalize_phone
from customers.records import CustomerRecord, JourneyRecord
from customers.store import CustomerStore
from ivr.personalize import HistoryItem
from ivr.scenario import CallContext, CustomerView, ResumePoint, Scenario

UNFINISHED = ("abandoned", "in_progress")
HISTORY_LIMIT = 200
HISTORY_DAYS = 365


@dataclass(frozen=True, slots=True)
class CallStart:
    """What one call starts with: the engine's context and the store's ids behind it."""

    context: CallContext
    phone: str | None  # the caller's number in E.164, if it was a valid number
    customer: CustomerRecord | None
    resumed: JourneyRecord | None  # the unfinished journey this call continues


def normalized_caller(callerid: str | None, region: str) -> str | None:
    """The caller's number in E.164, or None for anonymous/garbage caller ids."""
    if not callerid or not any(ch.isdigit() for ch in callerid):
        return None
    try:
        return normalize_phone(callerid, region)
    except InvalidValue:
        return None


class CallerLookup:
    """Builds a call's :class:`CallStart` from the caller id (one customer, every channel)."""

    def __init__(
        self,
        store: CustomerStore,
        *,
        default_region: str = "US",
        logger: logging.Logger | None = None,
    ) -> None:
        self._store = store
        self._region = default_region
        self._log = logger or logging.getLogger("ivr.call")

    async def start(
        self,
        scenario: Scenario,
        callerid: str | None,
        now: datetime,
        *,
        language: str | None = None,
    ) -> CallStart:
        """Recognise the caller and gather history, profile data and a resume point: one
        read of the store, so nothing waits on it between the call's AGI commands."""
        phone = normalized_caller(callerid, self._region)
        snapshot = None
        if phone:
            snapshot = await self._store.caller_snapshot(
                "phone",
                phone,
                history_limit=HISTORY_LIMIT,
                history_since=now - timedelta(days=HISTORY_DAYS),
                scenario=scenario.name if scenario.resume is not None else None,
            )
        if snapshot is None:
            context = CallContext(now=now, caller=phone or callerid, language=language)
            return CallStart(context, phone, None, None)
        customer = snapshot.customer
        history: Sequence[HistoryItem] = [
            HistoryItem(r.intent, r.channel, r.direction, r.occurred_at, r.open)
            for r in snapshot.history
        ]
        known = {k: p.value for k, p in snapshot.profile.items()}
        resumed = self._resumable(scenario, snapshot.latest_journey, now)
        resume = None
        if resumed is not None and resumed.stopped_at:
            resume = ResumePoint.from_record(resumed.stopped_at, resumed.inputs, resumed.intent)
        view = CustomerView(
            id=customer.id,
            display_name=customer.display_name,
            vip=customer.vip,
            segment=customer.segment,
            language=customer.language,
            attributes=dict(customer.attributes),
        )
        context = CallContext(
            now=now,
            caller=phone,
            customer=view,
            known=known,
            history=history,
            language=language,
            resume=resume,
        )
        return CallStart(context, phone, customer, resumed)

    @staticmethod
    def _resumable(
        scenario: Scenario, latest: JourneyRecord | None, now: datetime
    ) -> JourneyRecord | None:
        """The customer's last journey in this scenario, if it stopped unfinished recently.

        Only the newest journey counts: once a later call finished, nothing older resumes.
        """
        if scenario.resume is None or latest is None:
            return None
        if latest.status not in UNFINISHED or not latest.stopped_at:
            return None
        last_seen = latest.ended_at or latest.started_at
        if now - last_seen > timedelta(minutes=scenario.resume.window_minutes):
            return None
        return latest
