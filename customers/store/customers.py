"""Customers, their identities and the data they gave on any channel."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import exc, select
from sqlalchemy.ext.asyncio import AsyncSession

from customers import queries
from customers import validation as v
from customers.exceptions import IdentityConflict, InvalidValue, NotFound
from customers.identities import normalize_identity
from customers.models import Customer, Identity, ProfileData
from customers.records import CustomerRecord, IdentityRecord, ProfileValue
from customers.store.base import StoreBase
from customers.store.convert import customer_record, identity_record

MAX_MERGE_HOPS = 16


class CustomerOps(StoreBase):
    async def find_by_identity(self, kind: str, value: str) -> CustomerRecord | None:
        """The customer owning this identity (normalised first), following merges."""
        normalized = normalize_identity(kind, value, self._default_region)
        async with self._read() as session:
            owner = await session.scalar(queries.identity_owner(kind, normalized))
            if owner is None:
                return None
            for _ in range(MAX_MERGE_HOPS):
                customer = await self._require_customer(session, owner)
                if customer.merged_into is None:
                    return await self._customer(session, customer)
                owner = customer.merged_into
            raise NotFound(f"customer {owner}: merge chain longer than {MAX_MERGE_HOPS} hops")

    async def get_customer(self, customer_id: int) -> CustomerRecord | None:
        """The customer with all of their identities, or ``None``."""
        async with self._read() as session:
            customer = await session.get(Customer, customer_id)
            return None if customer is None else await self._customer(session, customer)

    async def create_customer(
        self,
        display_name: str | None = None,
        *,
        segment: str | None = None,
        vip: bool = False,
        language: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        identities: Iterable[tuple[str, str]] = (),
    ) -> CustomerRecord:
        """A new customer; :class:`IdentityConflict` if an identity already has an owner."""
        customer = Customer(
            display_name=v.optional_text("display_name", display_name),
            segment=v.optional_text("segment", segment, max_length=64),
            vip=v.flag("vip", vip),
            language=v.optional_text("language", language, max_length=35),
            attributes=v.jsonable("attributes", v.mapping("attributes", attributes or {})),
        )
        wanted = list(dict.fromkeys(self._normalize_all(identities)))
        try:
            async with self._write() as session:
                for kind, value in wanted:
                    owner = await session.scalar(queries.identity_owner(kind, value))
                    if owner is not None:
                        raise IdentityConflict(kind, value, owner)
                session.add(customer)
                await session.flush()
                session.add_all(
                    Identity(customer_id=customer.id, kind=k, value=x) for k, x in wanted
                )
                await session.flush()
                return await self._customer(session, customer)
        except exc.IntegrityError:  # another writer took an identity between check and insert
            raise await self._conflict_among(wanted) from None

    async def add_identity(
        self, customer_id: int, kind: str, value: str, *, verified: bool = False
    ) -> IdentityRecord:
        """Attach an identity; idempotent for the same customer, :class:`IdentityConflict` for
        another. ``verified=True`` marks an existing one as verified."""
        normalized = normalize_identity(kind, value, self._default_region)
        v.flag("verified", verified)
        try:
            async with self._write() as session:
                await self._require_customer(session, customer_id)
                existing = await session.scalar(
                    select(Identity).where(Identity.kind == kind, Identity.value == normalized)
                )
                if existing is not None:
                    if existing.customer_id != customer_id:
                        raise IdentityConflict(kind, normalized, existing.customer_id)
                    existing.verified = existing.verified or verified
                    await session.flush()
                    return identity_record(existing)
                identity = Identity(
                    customer_id=customer_id, kind=kind, value=normalized, verified=verified
                )
                session.add(identity)
                await session.flush()
                return identity_record(identity)
        except exc.IntegrityError:  # a concurrent writer inserted the same identity
            async with self._read() as session:
                existing = await session.scalar(
                    select(Identity).where(Identity.kind == kind, Identity.value == normalized)
                )
            if existing is not None and existing.customer_id == customer_id:
                return identity_record(existing)
            raise await self._conflict_among([(kind, normalized)]) from None

    async def profile_data(self, customer_id: int) -> dict[str, ProfileValue]:
        """Every field the customer gave, with the channel and time it was last given."""
        async with self._read() as session:
            rows = await session.scalars(
                select(ProfileData)
                .where(ProfileData.customer_id == customer_id)
                .order_by(ProfileData.field)
            )
            return {r.field: ProfileValue(r.value, r.source_channel, r.updated_at) for r in rows}

    async def save_profile_data(
        self, customer_id: int, field: str, value: str, channel: str
    ) -> ProfileValue:
        """Insert or replace one field of the customer's profile data."""
        field = v.text("field", field, max_length=64)
        if not isinstance(value, str):
            raise InvalidValue("value", f"expected text, got {type(value).__name__}")
        channel = v.one_of("channel", channel, v.CHANNELS)
        now = self._clock()
        async with self._write() as session:
            await self._require_customer(session, customer_id)
            insert = self._insert(session, ProfileData).values(
                customer_id=customer_id,
                field=field,
                value=value,
                source_channel=channel,
                updated_at=now,
            )
            await session.execute(
                insert.on_conflict_do_update(
                    index_elements=[ProfileData.customer_id, ProfileData.field],
                    set_={"value": value, "source_channel": channel, "updated_at": now},
                )
            )
        return ProfileValue(value, channel, now)

    def _normalize_all(self, identities: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        pairs = []
        for item in identities:
            if not isinstance(item, tuple | list) or len(item) != 2:
                raise InvalidValue("identities", f"expected (kind, value) pairs, got {item!r}")
            kind, value = item
            pairs.append((kind, normalize_identity(kind, value, self._default_region)))
        return pairs

    async def _conflict_among(self, wanted: Iterable[tuple[str, str]]) -> Exception:
        async with self._read() as session:
            for kind, value in wanted:
                owner = await session.scalar(queries.identity_owner(kind, value))
                if owner is not None:
                    return IdentityConflict(kind, value, owner)
        return NotFound("the customer was deleted while being written")

    @staticmethod
    async def _customer(session: AsyncSession, customer: Customer) -> CustomerRecord:
        identities = await session.scalars(
            select(Identity).where(Identity.customer_id == customer.id).order_by(Identity.id)
        )
        return customer_record(customer, identities)
