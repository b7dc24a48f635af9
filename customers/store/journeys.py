"""IVR journeys: started when a call enters a scenario, updated as it moves, read to resume."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exc, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from customers import queries
from customers import validation as v
from customers.db import describe
from customers.exceptions import Conflict, InvalidValue, JourneyConflict, NotFound
from customers.identities import normalize_identity
from customers.matching import match_key
from customers.models import Customer, Identity, Interaction, Journey, ProfileData
from customers.models.base import utcnow
from customers.records import JourneyRecord
from customers.store.base import StoreBase
from customers.store.convert import journey_record
from customers.store.interactions import interaction_values


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
_CUSTOMERS = Customer.__table__
_IDENTITIES = Identity.__table__
_INTERACTIONS = Interaction.__table__
MAX_MERGE_HOPS = 16


def _journey_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(fields) - set(_UPDATABLE))
    if unknown:
        raise InvalidValue(
            unknown[0], f"not a journey field; expected one of {', '.join(_UPDATABLE)}"
        )
    return {name: _UPDATABLE[name](value) for name, value in fields.items()}


def _profile_upsert(
    session: AsyncSession, customer_id: int, field: str, value: str, channel: str, now: datetime
) -> Any:
    insert_row = StoreBase._insert(session, ProfileData).values(
        customer_id=customer_id, field=field, value=value, source_channel=channel, updated_at=now
    )
    return insert_row.on_conflict_do_update(
        index_elements=[ProfileData.customer_id, ProfileData.field],
        set_={"value": value, "source_channel": channel, "updated_at": now},
    )


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
        values = {
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

    async def finish_journey(
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
    ) -> int | None:
        """Everything a finished call writes, in one transaction.

        Sets the journey's ``fields`` (those of :meth:`update_journey`) and links it to
        ``customer_id``, or else to the owner of ``phone`` (created, segment ``new``, on their
        first call); saves ``profile`` fields as given on ``channel``; records ``interaction``
        (keyword arguments of ``record_interaction`` but the customer, channel and journey) —
        a replayed idempotency key writes no second one. Returns the customer id, if any.
        """
        values = _journey_values(fields)
        channel = v.one_of("channel", channel, v.CHANNELS)
        given = [(v.text("field", f, max_length=64), x) for f, x in (profile or {}).items()]
        for field, value in given:
            if not isinstance(value, str):
                raise InvalidValue(field, f"expected text, got {type(value).__name__}")
        if phone is not None:
            phone = normalize_identity("phone", phone, self._default_region)
        for attempt in (1, 2):
            try:
                async with self._call_write() as session:
                    owner = customer_id
                    if owner is None and phone is not None:
                        owner = await self._phone_owner(session, phone, language)
                    if owner is not None:
                        values["customer_id"] = owner
                    done = await session.execute(
                        update(_JOURNEYS).where(_JOURNEYS.c.id == journey_id).values(values)
                    )
                    if done.rowcount == 0:
                        raise NotFound(f"journey {journey_id} does not exist")
                    if owner is None:
                        return None
                    now = self._clock()
                    for field, value in given:
                        await session.execute(
                            _profile_upsert(session, owner, field, value, channel, now)
                        )
                    if interaction is not None:
                        row = interaction_values(
                            now, owner, channel, journey_id=journey_id, **interaction
                        )
                        insert_row = self._insert(session, _INTERACTIONS).values(row)
                        if row["idempotency_key"] is not None:
                            insert_row = insert_row.on_conflict_do_nothing(
                                index_elements=[_INTERACTIONS.c.idempotency_key]
                            )
                        await session.execute(insert_row)
                    return owner
            except exc.IntegrityError as error:
                # a concurrent first call from the same number created the customer: retry,
                # finding them; anything else (a customer deleted mid-call) is a conflict
                if attempt == 1 and customer_id is None and phone is not None:
                    continue
                raise Conflict(f"journey {journey_id}: {describe(error)}") from None
        raise AssertionError("unreachable")

    async def _phone_owner(self, session: AsyncSession, phone: str, language: str | None) -> int:
        owner = await session.scalar(queries.identity_owner("phone", phone))
        if owner is None:
            now = utcnow()
            created = await session.execute(
                insert(_CUSTOMERS)
                .values(segment="new", vip=False, language=language, attributes={}, created_at=now)
                .returning(_CUSTOMERS.c.id)
            )
            owner = int(created.scalar_one())
            await session.execute(
                insert(_IDENTITIES).values(
                    customer_id=owner,
                    kind="phone",
                    value=phone,
                    verified=False,
                    created_at=now,
                    match_key=match_key("phone", phone),
                )
            )
            return owner
        for _ in range(MAX_MERGE_HOPS):
            merged_into = await session.scalar(
                select(_CUSTOMERS.c.merged_into).where(_CUSTOMERS.c.id == owner)
            )
            if merged_into is None:
                return owner
            owner = merged_into
        raise NotFound(f"customer {owner}: merge chain longer than {MAX_MERGE_HOPS} hops")

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
