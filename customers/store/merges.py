"""Merging two profiles of one person, recorded so that it can be undone exactly.

A merge moves the merged customer's identities, interactions and journeys to the survivor,
gives the survivor the profile fields it lacked (a field both have keeps the newer value), fills
the survivor's empty name, segment and language, ORs ``vip`` and adds missing attribute keys.
The merged customer stays as a row with ``merged_into`` set, so its id still resolves.

Undo moves back every row the merge moved, restores the survivor's fields and profile values
that the merge changed (unless they were changed again since: later writes win), and clears
``merged_into``. What happened to the survivor after the merge stays with the survivor. A merge
is undone newest first along a chain: if the survivor was itself merged since, undo that first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from customers import validation as v
from customers.exceptions import InvalidValue, NotFound
from customers.models import Customer, Identity, Interaction, Journey, Merge, ProfileData
from customers.records import Actor, MergeRecord
from customers.store.audit import check_actor
from customers.store.errors import Erased, MergeConflict
from customers.store.resolution import ResolutionOps

CHUNK = 1000  # ids per IN (...) list: far below both backends' parameter limits
CUSTOMER_FIELDS = ("display_name", "segment", "vip", "language", "attributes")
MOVED = {"identities": Identity, "interactions": Interaction, "journeys": Journey}


def merge_record(row: Merge) -> MergeRecord:
    return MergeRecord(
        id=row.id,
        survivor_id=row.survivor_id,
        merged_id=row.merged_id,
        merged_at=row.merged_at,
        actor=Actor(row.actor_kind, row.actor_id),
        moved=dict(row.moved),
        undone_at=row.undone_at,
        undone_by=row.undone_by,
    )


def _profile(row: ProfileData) -> dict[str, str]:
    return {"value": row.value, "channel": row.source_channel, "at": row.updated_at.isoformat()}


def _fields(customer: Customer) -> dict[str, Any]:
    return {name: getattr(customer, name) for name in CUSTOMER_FIELDS}


class MergeOps(ResolutionOps):
    async def merge_customers(
        self, survivor_id: int, merged_id: int, *, actor: Actor
    ) -> MergeRecord:
        """Merge ``merged_id`` into ``survivor_id``; audited as ``customer.merge``."""
        actor = check_actor(actor)
        v.integer("customer_id", survivor_id, low=1)
        v.integer("merged_id", merged_id, low=1)
        if survivor_id == merged_id:
            raise InvalidValue("merged_id", "a customer cannot be merged into itself")
        async with self._write() as session:
            rows = {}
            for cid in sorted((survivor_id, merged_id)):  # lock in id order: no deadlock
                rows[cid] = await self._live(
                    session, cid, "merged_id" if cid == merged_id else None
                )
            survivor, merged = rows[survivor_id], rows[merged_id]
            moved: dict[str, Any] = {}
            for name, model in MOVED.items():
                ids = list(
                    await session.scalars(select(model.id).where(model.customer_id == merged.id))
                )
                moved[name] = sorted(ids)
                await session.execute(
                    update(model)
                    .where(model.customer_id == merged.id)
                    .values(customer_id=survivor.id)
                )
            moved.update(await self._merge_profile(session, survivor.id, merged.id))
            before = _fields(survivor)
            survivor.display_name = survivor.display_name or merged.display_name
            survivor.segment = survivor.segment or merged.segment
            survivor.language = survivor.language or merged.language
            survivor.vip = survivor.vip or merged.vip
            survivor.attributes = {**merged.attributes, **survivor.attributes}
            moved["customer_before"], moved["customer_after"] = before, _fields(survivor)
            merged.merged_into = survivor.id
            row = Merge(
                survivor_id=survivor.id,
                merged_id=merged.id,
                merged_at=self._clock(),
                actor_kind=actor.kind,
                actor_id=actor.id,
                moved=moved,
            )
            session.add(row)
            await session.flush()
            counts = {name: len(moved[name]) for name in (*MOVED, "profile_data")}
            counts["profile_replaced"] = len(moved["profile_replaced"])
            detail = {"merge_id": row.id, "merged_id": merged.id, "moved": counts}
            self._audit(session, actor, "customer.merge", "customer", survivor.id, detail)
            return merge_record(row)

    async def undo_merge(self, merge_id: int, *, actor: Actor) -> MergeRecord:
        """Split a merge back (see the module docstring); audited as ``customer.unmerge``."""
        actor = check_actor(actor)
        v.integer("merge_id", merge_id, low=1)
        async with self._write() as session:
            row = await session.scalar(select(Merge).where(Merge.id == merge_id).with_for_update())
            if row is None:
                raise NotFound(f"merge {merge_id} does not exist")
            if row.undone_at is not None:
                raise MergeConflict(
                    f"merge {merge_id} was already undone at {row.undone_at.isoformat()}"
                )
            survivor = await self._locked(session, row.survivor_id)
            merged = await self._locked(session, row.merged_id)
            if survivor.merged_into is not None:
                later = await session.scalar(
                    select(Merge.id).where(
                        Merge.merged_id == survivor.id, Merge.undone_at.is_(None)
                    )
                )
                raise MergeConflict(
                    f"customer {survivor.id} was merged into {survivor.merged_into} since; "
                    f"undo merge {later} first"
                )
            moved = row.moved
            for name, model in {**MOVED, "profile_data": ProfileData}.items():
                await self._move(session, model, moved.get(name, []), survivor.id, merged.id)
            await self._restore_profile(session, survivor.id, moved.get("profile_replaced", {}))
            after = moved.get("customer_after", {})
            for name, value in moved.get("customer_before", {}).items():
                if getattr(survivor, name) == after.get(name):
                    setattr(survivor, name, value)
            merged.merged_into = None
            row.undone_at, row.undone_by = self._clock(), str(actor)
            await session.flush()
            detail = {"merge_id": row.id, "merged_id": merged.id}
            self._audit(session, actor, "customer.unmerge", "customer", survivor.id, detail)
            return merge_record(row)

    async def get_merge(self, merge_id: int) -> MergeRecord | None:
        async with self._read() as session:
            row = await session.get(Merge, v.integer("merge_id", merge_id))
            return None if row is None else merge_record(row)

    async def merges_of(self, customer_id: int) -> list[MergeRecord]:
        """Every merge (undone ones too) where ``customer_id`` survived or was merged, oldest
        first."""
        query = select(Merge).where(
            (Merge.survivor_id == customer_id) | (Merge.merged_id == customer_id)
        )
        async with self._read() as session:
            return [merge_record(r) for r in await session.scalars(query.order_by(Merge.id))]

    async def _live(self, session: AsyncSession, customer_id: int, field: str | None) -> Customer:
        """A locked customer that is not merged into another; the survivor side may be given by
        an old id only if it names the customer directly (merge into the survivor instead)."""
        row = await self._locked(session, customer_id)
        if row.merged_into is not None:
            root = await self._root(session, row.merged_into)
            side = "is already merged" if field else "was merged"
            raise MergeConflict(f"customer {customer_id} {side} into customer {root.id}", field)
        return row

    async def _locked(self, session: AsyncSession, customer_id: int) -> Customer:
        row = await session.scalar(
            select(Customer).where(Customer.id == customer_id).with_for_update()
        )
        if row is None:
            raise NotFound(f"customer {customer_id} does not exist")
        if row.erased_at is not None:
            raise Erased(customer_id, row.erased_at)
        return row

    @staticmethod
    async def _merge_profile(
        session: AsyncSession, survivor_id: int, merged_id: int
    ) -> dict[str, Any]:
        """Move the fields the survivor lacks; a field both have keeps the newer value."""
        rows = await session.scalars(
            select(ProfileData).where(ProfileData.customer_id.in_((survivor_id, merged_id)))
        )
        mine: dict[str, ProfileData] = {}
        theirs: list[ProfileData] = []
        for r in rows:
            (theirs.append(r) if r.customer_id == merged_id else mine.__setitem__(r.field, r))
        moved, replaced = [], {}
        for r in sorted(theirs, key=lambda r: r.id):
            current = mine.get(r.field)
            if current is None:
                r.customer_id = survivor_id
                moved.append(r.id)
            elif r.updated_at > current.updated_at:
                replaced[r.field] = {"before": _profile(current), "after": _profile(r)}
                current.value, current.source_channel = r.value, r.source_channel
                current.updated_at = r.updated_at
        await session.flush()
        return {"profile_data": moved, "profile_replaced": replaced}

    @staticmethod
    async def _restore_profile(
        session: AsyncSession, survivor_id: int, replaced: dict[str, Any]
    ) -> None:
        for name, change in replaced.items():
            row = await session.scalar(
                select(ProfileData).where(
                    ProfileData.customer_id == survivor_id, ProfileData.field == name
                )
            )
            if row is None or _profile(row) != change["after"]:
                continue  # changed again since the merge: the later write wins
            before = change["before"]
            row.value, row.source_channel = before["value"], before["channel"]
            row.updated_at = datetime.fromisoformat(before["at"])
        await session.flush()

    @staticmethod
    async def _move(
        session: AsyncSession, model: Any, ids: Sequence[int], from_id: int, to_id: int
    ) -> None:
        for start in range(0, len(ids), CHUNK):
            chunk = list(ids[start : start + CHUNK])
            await session.execute(
                update(model)
                .where(model.id.in_(chunk), model.customer_id == from_id)
                .values(customer_id=to_id)
            )
