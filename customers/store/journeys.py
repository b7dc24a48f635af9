"""IVR journeys: started when a call enters a scenario, updated as it moves, read to resume."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exc, func, or_, select

from customers import validation as v
from customers.exceptions import Conflict, InvalidValue, JourneyConflict, NotFound
from customers.models import Journey
from customers.records import JourneyRecord
from customers.store.base import StoreBase
from customers.store.convert import journey_record


def _optional_name(field: str) -> Callable[[object], Any]:
    return lambda value: v.optional_text(field, value, max_length=100)


# field -> validator; what update_journey accepts
_UPDATABLE: dict[str, Callable[[object], Any]] = {
    "path": lambda value: v.jsonable("path", v.sequence("path", value)),
    "inputs": lambda value: v.jsonable("inputs", v.mapping("inputs", value)),
    "menus": lambda value: v.jsonable("menus", v.sequence("menus", value)),
    "stopped_at": _optional_name("stopped_at"),
    "status": lambda value: v.one_of("status", value, v.JOURNEY_STATUSES),
    "service": _optional_name("service"),
    "intent": _optional_name("intent"),
    "resume_token": _optional_name("resume_token"),
    "ended_at": lambda value: v.optional_aware("ended_at", value),
    "customer_id": lambda value: None if value is None else v.integer("customer_id", value),
}


class JourneyOps(StoreBase):
    async def start_journey(
        self,
        call_id: str,
        scenario: str,
        *,
        scenario_version: str | None = None,
        customer_id: int | None = None,
        caller: str | None = None,
        started_at: datetime | None = None,
    ) -> int:
        """A new in-progress journey; :class:`JourneyConflict` if the call id has one."""
        row = Journey(
            call_id=v.text("call_id", call_id, max_length=64),
            scenario=v.text("scenario", scenario, max_length=100),
            scenario_version=v.optional_text("scenario_version", scenario_version, max_length=64),
            customer_id=customer_id,
            caller=v.optional_text("caller", caller, max_length=64),
            started_at=self._clock() if started_at is None else v.aware("started_at", started_at),
            status="in_progress",
            path=[],
            inputs={},
            menus=[],
        )
        try:
            async with self._write() as session:
                if customer_id is not None:
                    await self._require_customer(session, customer_id)
                session.add(row)
                await session.flush()
                return row.id
        except exc.IntegrityError:
            found = await self.get_journey(row.call_id)
            if found is None:
                raise
            raise JourneyConflict(row.call_id, found.id) from None

    async def update_journey(self, journey_id: int, **fields: Any) -> JourneyRecord:
        """Set some of: path, inputs, menus, stopped_at, status, service, intent,
        resume_token, ended_at, customer_id. JSON fields are replaced, not merged."""
        unknown = sorted(set(fields) - set(_UPDATABLE))
        if unknown:
            raise InvalidValue(
                unknown[0], f"not a journey field; expected one of {', '.join(_UPDATABLE)}"
            )
        values = {name: _UPDATABLE[name](value) for name, value in fields.items()}
        try:
            async with self._write() as session:
                row = await session.get(Journey, journey_id)
                if row is None:
                    raise NotFound(f"journey {journey_id} does not exist")
                if values.get("customer_id") is not None:
                    await self._require_customer(session, values["customer_id"])
                for name, value in values.items():
                    setattr(row, name, value)
                await session.flush()
                return journey_record(row)
        except exc.IntegrityError:
            raise Conflict(
                f"journey {journey_id}: resume_token {values.get('resume_token')!r} is in use"
            ) from None

    async def get_journey(self, key: int | str) -> JourneyRecord | None:
        """A journey by id (int) or by Asterisk call id (str)."""
        async with self._read() as session:
            if isinstance(key, str):
                row = await session.scalar(select(Journey).where(Journey.call_id == key))
            else:
                row = await session.get(Journey, v.integer("journey_id", key))
            return None if row is None else journey_record(row)

    async def latest_journey(
        self,
        customer_id: int,
        *,
        scenario: str | None = None,
        exclude_journey_id: int | None = None,
    ) -> JourneyRecord | None:
        """The customer's newest journey (of ``scenario`` if given), whatever its status."""
        query = select(Journey).where(Journey.customer_id == customer_id)
        if scenario is not None:
            query = query.where(Journey.scenario == scenario)
        if exclude_journey_id is not None:
            query = query.where(Journey.id != exclude_journey_id)
        query = query.order_by(Journey.started_at.desc(), Journey.id.desc()).limit(1)
        async with self._read() as session:
            row = await session.scalar(query)
            return None if row is None else journey_record(row)

    async def last_unfinished_journey(
        self,
        customer_id: int,
        *,
        within: timedelta,
        now: datetime | None = None,
        exclude_journey_id: int | None = None,
    ) -> JourneyRecord | None:
        """The customer's newest journey that ended (or was last seen) less than ``within``
        ago without completing: ``abandoned``, or ``in_progress`` with a ``stopped_at`` node
        (the call dropped before the journey was closed). Pass the current call's journey as
        ``exclude_journey_id``."""
        if not isinstance(within, timedelta) or within <= timedelta(0):
            raise InvalidValue("within", f"expected a positive timedelta, got {within!r}")
        now = self._clock() if now is None else v.aware("now", now)
        last_seen = func.coalesce(Journey.ended_at, Journey.started_at)
        query = (
            select(Journey)
            .where(
                Journey.customer_id == customer_id,
                Journey.started_at <= now,
                last_seen >= now - within,
                or_(
                    Journey.status == "abandoned",
                    (Journey.status == "in_progress") & Journey.stopped_at.is_not(None),
                ),
            )
            .order_by(Journey.started_at.desc(), Journey.id.desc())
            .limit(1)
        )
        if exclude_journey_id is not None:
            query = query.where(Journey.id != exclude_journey_id)
        async with self._read() as session:
            row = await session.scalar(query)
            return None if row is None else journey_record(row)
