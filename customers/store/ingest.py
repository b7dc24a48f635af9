"""The omnichannel API's writes of customers and interactions: each is one transaction with
its audit entries, so nothing is half-written.

Which customer an ingested interaction belongs to, in this order:

1. Its idempotency key was seen before: the stored interaction is returned, nothing is written.
2. ``customer_id`` is given: that customer, or the survivor it was merged into (``known``).
   The request's identities must be free or already theirs; free ones are added.
3. Otherwise at least one identity is needed. Exact identities leading to one customer attach
   the interaction to them (``known``) and add the request's unknown identities; leading to two
   or more customers is :class:`AmbiguousIdentities` (nobody guesses which).
4. No exact identity: customers found by the weaker rule (:mod:`customers.matching`) are the
   candidates. With ``accept_maybe`` and exactly one candidate, the interaction is attached to
   them (``maybe``) without adding identities: a person confirms by merging or adding them.
5. Otherwise a new customer owning all the identities is created (``created``, candidates
   listed for a later merge), unless ``create=False``: then :class:`Unresolved`, nothing written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import exc, select
from sqlalchemy.ext.asyncio import AsyncSession

from customers import queries
from customers import validation as v
from customers.exceptions import IdentityConflict, InvalidValue
from customers.identities import normalize_identity
from customers.models import Customer, Identity, Interaction
from customers.records import Actor, CustomerRecord, IdentityRecord, IngestResult
from customers.store.audit import check_actor
from customers.store.convert import identity_record, interaction_record
from customers.store.errors import AmbiguousIdentities, Unresolved
from customers.store.resolution import ResolutionOps

ATTEMPTS = 3  # a concurrent writer can take an identity or the key between check and insert


class IngestOps(ResolutionOps):
    async def add_customer(
        self,
        actor: Actor,
        display_name: str | None = None,
        *,
        segment: str | None = None,
        vip: bool = False,
        language: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        identities: Iterable[tuple[str, str]] = (),
    ) -> CustomerRecord:
        """A new customer, audited as ``customer.create``; :class:`IdentityConflict` if an
        identity already has an owner."""
        actor = check_actor(actor)
        fields = {
            "display_name": v.optional_text("display_name", display_name),
            "segment": v.optional_text("segment", segment, max_length=64),
            "vip": v.flag("vip", vip),
            "language": v.optional_text("language", language, max_length=35),
            "attributes": v.jsonable("attributes", v.mapping("attributes", attributes or {})),
        }
        pairs = self._pairs(identities)
        try:
            async with self._write() as session:
                for kind, value in pairs:
                    owner = await session.scalar(queries.identity_owner(kind, value))
                    if owner is not None:
                        raise IdentityConflict(kind, value, owner)
                row = Customer(**fields, created_at=self._clock())
                session.add(row)
                await session.flush()
                await self._add_identities(session, row.id, pairs)
                given = sorted(k for k, x in fields.items() if x not in (None, False, {}))
                detail = {"identities": [k for k, _ in pairs], "fields": given}
                self._audit(session, actor, "customer.create", "customer", row.id, detail)
                return await self._record(session, row)
        except exc.IntegrityError:  # another writer took an identity between check and insert
            async with self._read() as session:
                for kind, value in pairs:
                    owner = await session.scalar(queries.identity_owner(kind, value))
                    if owner is not None:
                        raise IdentityConflict(kind, value, owner) from None
            raise

    async def ingest_interaction(
        self,
        actor: Actor,
        *,
        idempotency_key: str,
        channel: str,
        direction: str,
        occurred_at: datetime | None = None,
        intent: str | None = None,
        topic: str | None = None,
        summary: str | None = None,
        outcome: str | None = None,
        open: bool = False,
        data: Mapping[str, Any] | None = None,
        customer_id: int | None = None,
        identities: Iterable[tuple[str, str]] = (),
        display_name: str | None = None,
        accept_maybe: bool = False,
        create: bool = True,
    ) -> IngestResult:
        """Store one contact from another channel under the rules of the module docstring."""
        actor = check_actor(actor)
        key = v.text("idempotency_key", idempotency_key)
        fields = {
            "channel": v.one_of("channel", channel, v.CHANNELS),
            "direction": v.one_of("direction", direction, v.DIRECTIONS),
            "occurred_at": self._clock()
            if occurred_at is None
            else v.aware("occurred_at", occurred_at),
            "intent": v.optional_text("intent", intent, max_length=100),
            "topic": v.optional_text("topic", topic, max_length=1000),
            "summary": v.optional_text("summary", summary, max_length=20000),
            "outcome": v.optional_one_of("outcome", outcome, v.OUTCOMES),
            "open": v.flag("open", open),
            "data": v.jsonable("data", v.mapping("data", data or {})),
        }
        pairs = self._pairs(identities)
        name = v.optional_text("display_name", display_name)
        if customer_id is not None:
            v.integer("customer_id", customer_id, low=1)
        elif not pairs:
            raise InvalidValue("identities", "give customer_id or at least one identity")
        choice = (v.flag("accept_maybe", accept_maybe), v.flag("create", create))
        for attempt in range(ATTEMPTS):
            try:
                async with self._write() as session:
                    found = await session.scalar(
                        select(Interaction).where(Interaction.idempotency_key == key)
                    )
                    if found is not None:
                        record = interaction_record(found)
                        return IngestResult(record, found.customer_id, "known", replayed=True)
                    return await self._ingest(
                        session, actor, key, fields, customer_id, pairs, name, choice
                    )
            except exc.IntegrityError:
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    async def _ingest(
        self,
        session: AsyncSession,
        actor: Actor,
        key: str,
        fields: dict[str, Any],
        customer_id: int | None,
        pairs: list[tuple[str, str]],
        display_name: str | None,
        choice: tuple[bool, bool],
    ) -> IngestResult:
        accept_maybe, create = choice
        candidates: tuple[int, ...] = ()
        owners: dict[int, list[str]] = {}
        free: list[tuple[str, str]] = []
        for kind, value in pairs:
            owner = await session.scalar(queries.identity_owner(kind, value))
            if owner is None:
                free.append((kind, value))
            else:
                root_id = (await self._root(session, owner)).id
                owners.setdefault(root_id, []).append(f"{kind}:{value}")
        if customer_id is not None:
            customer = await self._root(session, customer_id)
            for root_id, taken in owners.items():
                if root_id != customer.id:
                    kind, _, value = taken[0].partition(":")
                    raise IdentityConflict(kind, value, root_id)
            match, to_add = "known", free
        elif len(owners) > 1:
            raise AmbiguousIdentities(owners)
        elif owners:
            customer = await self._root(session, next(iter(owners)))
            match, to_add = "known", free
        else:
            found = await self._maybe(session, pairs)
            candidates = tuple(c.customer.id for c in found)
            if accept_maybe and len(found) == 1:
                customer = await self._root(session, found[0].customer.id)
                match, to_add, candidates = "maybe", [], ()
            elif create:
                customer = Customer(
                    display_name=display_name, attributes={}, created_at=self._clock()
                )
                session.add(customer)
                await session.flush()
                match, to_add = "created", pairs
            else:
                listed = ", ".join(map(str, candidates)) or "none"
                raise Unresolved(
                    f"no customer is known by these identities (maybe: {listed})", candidates
                )
        added = await self._add_identities(session, customer.id, to_add)
        row = Interaction(
            customer_id=customer.id, idempotency_key=key, created_at=self._clock(), **fields
        )
        session.add(row)
        await session.flush()
        kinds = [k for k, _ in to_add]
        if match == "created":
            detail = {"identities": kinds, "via": "interaction"}
            self._audit(session, actor, "customer.create", "customer", customer.id, detail)
        elif kinds:
            self._audit(session, actor, "identity.add", "customer", customer.id, {"kinds": kinds})
        detail = {"customer_id": customer.id, "channel": row.channel, "match": match}
        self._audit(session, actor, "interaction.create", "interaction", row.id, detail)
        return IngestResult(
            interaction_record(row),
            customer.id,
            match,
            False,
            candidates,
            tuple(added),  # type: ignore[arg-type]
        )

    def _pairs(self, identities: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Normalised, distinct (kind, value) pairs; :class:`InvalidValue` names the index."""
        if isinstance(identities, str | bytes | Mapping):
            raise InvalidValue("identities", "expected a list of (kind, value) pairs")
        pairs = []
        for i, item in enumerate(identities):
            if not isinstance(item, tuple | list) or len(item) != 2:
                raise InvalidValue(f"identities[{i}]", f"expected (kind, value), got {item!r}")
            kind, value = item
            try:
                pairs.append((kind, normalize_identity(kind, value, self._default_region)))
            except InvalidValue as error:
                message = str(error).partition(": ")[2]
                raise InvalidValue(f"identities[{i}].{_part(error.field)}", message) from None
        return list(dict.fromkeys(pairs))

    async def _add_identities(
        self, session: AsyncSession, customer_id: int, pairs: Iterable[tuple[str, str]]
    ) -> list[IdentityRecord]:
        rows = [
            Identity(customer_id=customer_id, kind=k, value=x, created_at=self._clock())
            for k, x in pairs
        ]
        session.add_all(rows)
        await session.flush()
        return [identity_record(r) for r in rows]


def _part(field: str) -> str:
    """Which part of an identity an identity error is about: its kind or its value."""
    return "kind" if field == "kind" else "value"
