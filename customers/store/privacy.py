"""Privacy requests: export everything held about a person, or erase it.

Both act on the whole person: the customer an id resolves to and every profile merged into
them. What they hold is: the customer rows, identities, profile data, interactions, merges, and
the IVR journeys that are theirs (by customer, by an interaction of theirs, or, for journeys of
no customer, by a caller number that is one of their phones: calls that ended before they were
recognised).

Erasure deletes all of that in one transaction, leaving the customer rows as empty tombstones
(``erased_at`` set, so an id is never given to someone else and old links answer "erased"),
the erasure's record (who, when, how many of each) and ``erased_counts``: per day, channel,
direction, intent, outcome and agent, how many interactions there were. Audit entries stay;
they never hold personal values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from customers.models import (
    AuditEntry,
    Customer,
    ErasedCount,
    Erasure,
    Identity,
    Interaction,
    Journey,
    Merge,
    ProfileData,
    ResumeToken,
    SmsOutbox,
)
from customers.records import Actor, CustomerExport, ErasureRecord, ProfileValue
from customers.store.audit import audit_record, check_actor
from customers.store.convert import interaction_record, journey_record
from customers.store.merges import CHUNK, merge_record
from customers.store.resolution import ResolutionOps


def erasure_record(row: Erasure) -> ErasureRecord:
    counts = dict(row.counts)
    ids = tuple(counts.pop("customer_ids", (row.customer_id,)))
    return ErasureRecord(
        id=row.id,
        customer_id=row.customer_id,
        erased_at=row.erased_at,
        actor=Actor(row.actor_kind, row.actor_id),
        counts=counts,
        customer_ids=ids,
    )


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)]


class PrivacyOps(ResolutionOps):
    async def export_customer(self, customer_id: int, *, actor: Actor) -> CustomerExport:
        """Everything held about the person ``customer_id`` resolves to; audited as
        ``customer.export`` (in the same transaction as the reads)."""
        actor = check_actor(actor)
        async with self._write() as session:
            root = await self._root(session, customer_id)
            group = await self._group(session, root.id)
            customers = [
                await self._record(session, await session.get_one(Customer, i)) for i in group
            ]
            profile: dict[int, dict[str, ProfileValue]] = {i: {} for i in group}
            rows = await session.scalars(
                select(ProfileData)
                .where(ProfileData.customer_id.in_(group))
                .order_by(ProfileData.customer_id, ProfileData.field)
            )
            for r in rows:
                profile[r.customer_id][r.field] = ProfileValue(
                    r.value, r.source_channel, r.updated_at
                )
            interactions = list(
                await session.scalars(
                    select(Interaction)
                    .where(Interaction.customer_id.in_(group))
                    .order_by(Interaction.occurred_at, Interaction.id)
                )
            )
            journeys = await self._journeys(session, group, interactions)
            merges = await session.scalars(
                select(Merge)
                .where(or_(Merge.survivor_id.in_(group), Merge.merged_id.in_(group)))
                .order_by(Merge.id)
            )
            audit = await session.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.target_kind == "customer",
                    AuditEntry.target_id.in_([str(i) for i in group]),
                )
                .order_by(AuditEntry.at, AuditEntry.id)
            )
            export = CustomerExport(
                customer=customers[0],
                merged=tuple(customers[1:]),
                profile_data=profile,
                interactions=tuple(interaction_record(r) for r in interactions),
                journeys=tuple(journey_record(j) for j in journeys),
                merges=tuple(merge_record(m) for m in merges),
                audit=tuple(audit_record(a) for a in audit),
                exported_at=self._clock(),
            )
            detail = {"customer_ids": group, "interactions": len(interactions)}
            self._audit(session, actor, "customer.export", "customer", root.id, detail)
            return export

    async def erase_customer(self, customer_id: int, *, actor: Actor) -> ErasureRecord:
        """Erase the person ``customer_id`` resolves to (see the module docstring); audited as
        ``customer.erase``. :class:`Erased` if already erased."""
        actor = check_actor(actor)
        now = self._clock()
        async with self._write() as session:
            root = await self._root(session, customer_id, lock=True)
            group = await self._group(session, root.id)
            interactions = list(
                await session.scalars(select(Interaction).where(Interaction.customer_id.in_(group)))
            )
            journeys = await self._journeys(session, group, interactions)
            tally = Counter(
                (r.occurred_at.date(), r.channel, r.direction, r.intent, r.outcome, r.agent_id)
                for r in interactions
            )
            phones = list(
                await session.scalars(
                    select(Identity.value).where(
                        Identity.customer_id.in_(group), Identity.kind == "phone"
                    )
                )
            )
            journey_ids = [j.id for j in journeys]
            await session.execute(  # links texted to them carry their journey: gone too
                delete(ResumeToken).where(
                    or_(ResumeToken.customer_id.in_(group), ResumeToken.journey_id.in_(journey_ids))
                )
            )
            if phones:
                await session.execute(
                    update(SmsOutbox)
                    .where(SmsOutbox.to.in_(phones))
                    .values(to="erased", body="", status="erased")
                )
            counts: dict[str, Any] = {
                "customers": len(group),
                "identities": await self._delete(session, Identity, Identity.customer_id, group),
                "profile_fields": await self._delete(
                    session, ProfileData, ProfileData.customer_id, group
                ),
                "interactions": await self._delete(
                    session, Interaction, Interaction.customer_id, group
                ),
                "journeys": await self._delete(
                    session, Journey, Journey.id, [j.id for j in journeys]
                ),
            }
            await session.execute(
                delete(Merge).where(or_(Merge.survivor_id.in_(group), Merge.merged_id.in_(group)))
            )
            await session.execute(
                update(Customer)
                .where(Customer.id.in_(group))
                .values(
                    display_name=None,
                    segment=None,
                    vip=False,
                    language=None,
                    attributes={},
                    erased_at=now,
                )
            )
            row = Erasure(
                customer_id=root.id,
                erased_at=now,
                actor_kind=actor.kind,
                actor_id=actor.id,
                counts={**counts, "customer_ids": group},
            )
            session.add(row)
            await session.flush()
            session.add_all(
                ErasedCount(
                    erasure_id=row.id,
                    day=day,
                    channel=channel,
                    direction=direction,
                    intent=intent,
                    outcome=outcome,
                    agent_id=agent_id,
                    count=n,
                )
                for (day, channel, direction, intent, outcome, agent_id), n in sorted(
                    tally.items(), key=lambda item: tuple(str(x) for x in item[0])
                )
            )
            detail = {"customer_ids": group, "counts": counts}
            self._audit(session, actor, "customer.erase", "customer", root.id, detail)
            await session.flush()
            return erasure_record(row)

    async def erasure_of(self, customer_id: int) -> ErasureRecord | None:
        """The erasure that removed ``customer_id`` (directly or as a merged profile)."""
        async with self._read() as session:
            customer = await session.get(Customer, customer_id)
            if customer is None or customer.erased_at is None:
                return None
            current = customer
            while current.merged_into is not None:  # tombstones keep their merge links
                current = await session.get_one(Customer, current.merged_into)
            row = await session.scalar(select(Erasure).where(Erasure.customer_id == current.id))
            return None if row is None else erasure_record(row)

    async def erased_counts(self) -> list[dict[str, Any]]:
        """Interactions of erased customers, summed per day, channel, direction, intent,
        outcome and agent: what reports may still count."""
        query = select(
            ErasedCount.day,
            ErasedCount.channel,
            ErasedCount.direction,
            ErasedCount.intent,
            ErasedCount.outcome,
            ErasedCount.agent_id,
            ErasedCount.count,
        )
        totals: Counter[tuple[Any, ...]] = Counter()
        async with self._read() as session:
            for *key, n in await session.execute(query):
                totals[tuple(key)] += n
        names = ("day", "channel", "direction", "intent", "outcome", "agent_id")
        ordered = sorted(totals.items(), key=lambda item: tuple(str(x) for x in item[0]))
        return [dict(zip(names, key, strict=True)) | {"count": n} for key, n in ordered]

    @staticmethod
    async def _journeys(
        session: AsyncSession, group: list[int], interactions: Sequence[Interaction]
    ) -> list[Journey]:
        phones = list(
            await session.scalars(
                select(Identity.value).where(
                    Identity.customer_id.in_(group), Identity.kind == "phone"
                )
            )
        )
        linked = sorted({i.journey_id for i in interactions if i.journey_id is not None})
        found: dict[int, Journey] = {}
        clauses = [Journey.customer_id.in_(group)]
        if phones:
            clauses.append(Journey.caller.in_(phones) & Journey.customer_id.is_(None))
        for row in await session.scalars(select(Journey).where(or_(*clauses))):
            found[row.id] = row
        for chunk in _chunks(linked):
            for row in await session.scalars(select(Journey).where(Journey.id.in_(chunk))):
                found[row.id] = row
        return sorted(found.values(), key=lambda j: (j.started_at, j.id))

    @staticmethod
    async def _delete(session: AsyncSession, model: Any, column: Any, ids: Sequence[int]) -> int:
        removed = 0
        for chunk in _chunks(ids):
            result = await session.execute(delete(model).where(column.in_(chunk)))
            removed += result.rowcount or 0  # type: ignore[attr-defined]
        return removed
