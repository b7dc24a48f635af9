"""IVR journeys: started when a call enters a scenario, updated as it moves, read to resume."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exc, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from customers import queries
from customers import validation as v
from customers.db import describe
from customers.exceptions import (
    Conflict,
    CustomerStoreError,
    InvalidValue,
    JourneyConflict,
    NotFound,
)
from customers.identities import normalize_identity
from customers.models import Journey
from customers.records import JourneyRecord
from customers.store.base import StoreBase
from customers.store.convert import journey_record
from customers.store.journeys_finish import JourneyEnd, apply_end, apply_ends, phone_owner


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
_JOURNEYS = Journey.__table__


def _journey_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(fields) - set(_UPDATABLE))
    if unknown:
        raise InvalidValue(
            unknown[0], f"not a journey field; expected one of {', '.join(_UPDATABLE)}"
        )
    return {name: _UPDATABLE[name](value) for name, value in fields.items()}


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
        values = self._start_values(
            call_id, scenario, scenario_version, customer_id, caller, started_at
        )
        # One INSERT on the call's path; the foreign key checks the customer, and only a
        # failure pays for finding out which constraint it was.
        try:
            async with self._call_write() as session:
                inserted = await session.execute(
                    insert(_JOURNEYS).values(values).returning(_JOURNEYS.c.id)
                )
                return int(inserted.scalar_one())
        except exc.IntegrityError:
            found = await self.get_journey(values["call_id"])
            if found is not None:
                raise JourneyConflict(values["call_id"], found.id) from None
            if customer_id is not None:
                async with self._read() as session:
                    await self._require_customer(session, customer_id)
            raise

    async def start_call_journey(
        self,
        call_id: str,
        scenario: str,
        *,
        scenario_version: str | None = None,
        customer_id: int | None = None,
        caller: str | None = None,
        language: str | None = None,
        started_at: datetime | None = None,
    ) -> tuple[int, int | None]:
        """:meth:`start_journey` for a call from ``caller`` (a phone number): without
        ``customer_id``, the number's owner is found or created (segment ``new``, in
        ``language``) in the same transaction, so a first-time caller has an id from the
        first prompt on. Returns the journey id and the customer id (None without a number).
        """
        values = self._start_values(
            call_id, scenario, scenario_version, customer_id, caller, started_at
        )
        phone = None
        if customer_id is None and caller is not None:
            phone = normalize_identity("phone", caller, self._default_region)
        for attempt in (1, 2):
            try:
                async with self._call_write() as session:
                    owner = customer_id
                    if phone is not None:
                        owner = await phone_owner(session, phone, language)
                    inserted = await session.execute(
                        insert(_JOURNEYS)
                        .values(values | {"customer_id": owner})
                        .returning(_JOURNEYS.c.id)
                    )
                    return int(inserted.scalar_one()), owner
            except exc.IntegrityError as error:
                found = await self.get_journey(values["call_id"])
                if found is not None:
                    raise JourneyConflict(values["call_id"], found.id) from None
                if attempt == 1 and phone is not None:
                    continue  # a concurrent first call from the number created its owner
                raise Conflict(f"journey for call {call_id!r}: {describe(error)}") from None
        raise AssertionError("unreachable")

    def _start_values(
        self,
        call_id: str,
        scenario: str,
        scenario_version: str | None,
        customer_id: int | None,
        caller: str | None,
        started_at: datetime | None,
    ) -> dict[str, Any]:
        return {
            "call_id": v.text("call_id", call_id, max_length=64),
            "scenario": v.text("scenario", scenario, max_length=100),
            "scenario_version": v.optional_text(
                "scenario_version", scenario_version, max_length=64
            ),
            "customer_id": None if customer_id is None else v.integer("customer_id", customer_id),
            "caller": v.optional_text("caller", caller, max_length=64),
            "started_at": v.aware("started_at", started_at or self._clock()),
            "status": "in_progress",
            "path": [],
            "inputs": {},
            "menus": [],
        }

    async def finish_journey(self, end: JourneyEnd) -> int | None:
        """Everything a finished call writes (``end``, from :meth:`journey_end`), in one
        transaction. Returns the customer id, if any."""
        return await self._finish(end)

    def journey_end(
        self,
        journey_id: int,
        fields: Mapping[str, Any],
        *,
        customer_id: int | None = None,
        phone: str | None = None,
        language: str | None = None,
        channel: str = "voice",
        profile: Mapping[str, str] | None = None,
        interaction: Mapping[str, Any] | None = None,
        customer_language: str | None = None,
    ) -> JourneyEnd:
        """A finished call's write, validated, for :meth:`finish_journey` or
        :meth:`finish_journeys`; :class:`InvalidValue` if an argument is wrong.

        The write sets the journey's ``fields`` (those of :meth:`update_journey`), links it to
        ``customer_id``, or else to the owner of ``phone`` (created, segment ``new``, on their
        first call); saves ``profile`` fields as given on ``channel``; records ``interaction``
        (keyword arguments of ``record_interaction`` but the customer, channel and journey) —
        a replayed idempotency key writes no second one; ``customer_language`` becomes the
        customer's language (one the call created at its start, in another language).
        """
        values = _journey_values(fields)
        channel = v.one_of("channel", channel, v.CHANNELS)
        given = tuple((v.text("field", f, max_length=64), x) for f, x in (profile or {}).items())
        for field, value in given:
            if not isinstance(value, str):
                raise InvalidValue(field, f"expected text, got {type(value).__name__}")
        if phone is not None:
            phone = normalize_identity("phone", phone, self._default_region)
        return JourneyEnd(
            journey_id,
            values,
            customer_id,
            phone,
            language,
            channel,
            given,
            interaction,
            v.optional_text("customer_language", customer_language, max_length=35),
        )

    async def finish_journeys(
        self, ends: Sequence[JourneyEnd]
    ) -> list[int | None | CustomerStoreError]:
        """Several :meth:`finish_journey` writes, in order, in one transaction; if that fails,
        each in its own, so one bad write costs only itself. One result per write: the
        customer id (or None), or the error that write met."""
        try:
            async with self._call_write() as session:
                return list(await apply_ends(session, ends, self._clock()))
        except (exc.IntegrityError, CustomerStoreError):
            pass  # rolled back: each again on its own
        results: list[int | None | CustomerStoreError] = []
        for end in ends:
            try:
                results.append(await self._finish(end))
            except CustomerStoreError as error:
                results.append(error)
        return results

    async def _finish(self, end: JourneyEnd) -> int | None:
        for attempt in (1, 2):
            try:
                async with self._call_write() as session:
                    return await apply_end(session, end, self._clock())
            except exc.IntegrityError as error:
                # a concurrent first call from the same number created the customer: retry,
                # finding them; anything else (a customer deleted mid-call) is a conflict
                if attempt == 1 and end.customer_id is None and end.phone is not None:
                    continue
                raise Conflict(f"journey {end.journey_id}: {describe(error)}") from None
        raise AssertionError("unreachable")

    @asynccontextmanager
    async def _call_write(self) -> AsyncIterator[AsyncSession]:
        """:meth:`_write` for the writes on a call's path. SQLite has one writer at a time and
        makes the others sleep and retry with growing back-offs (the busy timeout): a burst
        of calls ending together waited up to seconds. Queued here, each waits only for the
        writes ahead of it."""
        bind = self._sessions.kw.get("bind")
        if bind is None or bind.dialect.name != "sqlite":
            async with self._write() as session:
                yield session
            return
        lock = self.__dict__.setdefault("_sqlite_call_writer", asyncio.Lock())
        async with lock, self._write() as session:
            yield session

    async def update_journey(self, journey_id: int, **fields: Any) -> JourneyRecord:
        """Set some of: path, inputs, menus, stopped_at, status, service, intent,
        resume_token, ended_at, customer_id. JSON fields are replaced, not merged."""
        values = _journey_values(fields)
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
        query = queries.latest_journey(
            customer_id, scenario=scenario, exclude_journey_id=exclude_journey_id
        )
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
