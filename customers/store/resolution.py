"""Identity resolution: which customer an id or an identity leads to, exactly or maybe.

* An id leads to its customer, or through ``merged_into`` to the customer it was merged into
  (the *survivor*); an erased id (or one merged into an erased customer) raises
  :class:`Erased`.
* An identity is ``known`` when its normalised value is stored, and ``maybe`` when only its
  match key (:mod:`customers.matching`) is shared with stored identities of other values.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from customers import queries
from customers.exceptions import NotFound
from customers.identities import normalize_identity
from customers.matching import match_key, rule
from customers.models import Customer, Identity
from customers.records import Candidate, CustomerRecord, IdentityMatch
from customers.store.audit import AuditOps
from customers.store.convert import customer_record
from customers.store.errors import Erased

MAX_MERGE_HOPS = 16


class ResolutionOps(AuditOps):
    async def resolve_customer(self, customer_id: int) -> CustomerRecord:
        """The customer ``customer_id`` is now: itself, or the survivor of its merges.

        :class:`Erased` if it was erased, :class:`NotFound` if it never existed."""
        async with self._read() as session:
            return await self._record(session, await self._root(session, customer_id))

    async def match_identity(self, kind: str, value: str) -> IdentityMatch:
        """Who ``kind:value`` is: ``known`` with its owner, ``maybe`` with every customer the
        weaker rule points at (oldest identity first), or ``none``."""
        normalized = normalize_identity(kind, value, self._default_region)
        async with self._read() as session:
            owner = await session.scalar(queries.identity_owner(kind, normalized))
            if owner is not None:
                customer = await self._record(session, await self._root(session, owner))
                exact = Candidate(customer, kind, normalized, "exact identity")
                return IdentityMatch("known", kind, normalized, (exact,))
            candidates = await self._maybe(session, [(kind, normalized)])
            return IdentityMatch("maybe" if candidates else "none", kind, normalized, candidates)

    async def _root(
        self, session: AsyncSession, customer_id: int, *, lock: bool = False
    ) -> Customer:
        """The surviving customer row for ``customer_id`` (locked FOR UPDATE if asked)."""
        current = customer_id
        for _ in range(MAX_MERGE_HOPS):
            query = select(Customer).where(Customer.id == current)
            if lock:
                query = query.with_for_update()
            row = await session.scalar(query)
            if row is None:
                raise NotFound(f"customer {customer_id} does not exist")
            if row.erased_at is not None:
                raise Erased(customer_id, row.erased_at)
            if row.merged_into is None:
                return row
            current = row.merged_into
        raise NotFound(f"customer {customer_id}: merge chain longer than {MAX_MERGE_HOPS} hops")

    async def _maybe(
        self, session: AsyncSession, pairs: Iterable[tuple[str, str]]
    ) -> tuple[Candidate, ...]:
        """Customers owning an identity that shares a match key with one of ``pairs``."""
        given = set(pairs)
        keys = {key for kind, value in given if (key := match_key(kind, value)) is not None}
        if not keys:
            return ()
        rows = await session.scalars(
            select(Identity).where(Identity.match_key.in_(sorted(keys))).order_by(Identity.id)
        )
        found: dict[int, Candidate] = {}
        for row in list(rows):
            if (row.kind, row.value) in given:
                continue
            root = await self._root(session, row.customer_id)
            if root.id not in found:
                record = await self._record(session, root)
                found[root.id] = Candidate(record, row.kind, row.value, rule(row.kind))
        return tuple(found.values())

    async def _group(self, session: AsyncSession, root_id: int) -> list[int]:
        """``root_id`` and every customer merged into it, directly or through others."""
        group, frontier = [root_id], [root_id]
        while frontier:
            rows = await session.scalars(
                select(Customer.id).where(Customer.merged_into.in_(frontier))
            )
            frontier = sorted(set(rows) - set(group))
            group.extend(frontier)
        return group

    @staticmethod
    async def _record(session: AsyncSession, customer: Customer) -> CustomerRecord:
        identities = await session.scalars(
            select(Identity).where(Identity.customer_id == customer.id).order_by(Identity.id)
        )
        return customer_record(customer, identities)
