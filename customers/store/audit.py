"""The audit log: who did what, when, to which thing. Entries are written inside the
transaction of the write they describe, so a write and its entry exist together or not at all.

Entries hold ids, kinds, field names and counts, never personal values: they outlive erasure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from customers import validation as v
from customers.exceptions import InvalidValue
from customers.models import AuditEntry
from customers.records import Actor, AuditRecord
from customers.store.base import StoreBase


def audit_record(row: AuditEntry) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        at=row.at,
        actor=Actor(row.actor_kind, row.actor_id),
        action=row.action,
        target_kind=row.target_kind,
        target_id=row.target_id,
        detail=dict(row.detail),
    )


def check_actor(actor: object) -> Actor:
    """``actor`` if it is an :class:`Actor` of a known kind with an id."""
    if not isinstance(actor, Actor):
        raise InvalidValue("actor", f"expected an Actor, got {type(actor).__name__}")
    v.one_of("actor.kind", actor.kind, v.ACTOR_KINDS)
    v.text("actor.id", actor.id, max_length=64)
    return actor


class AuditOps(StoreBase):
    def _audit(
        self,
        session: AsyncSession,
        actor: Actor,
        action: str,
        target_kind: str,
        target_id: int | str,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Add an entry to the current transaction."""
        session.add(
            AuditEntry(
                at=self._clock(),
                actor_kind=actor.kind,
                actor_id=actor.id,
                action=action,
                target_kind=target_kind,
                target_id=str(target_id),
                detail=dict(detail or {}),
            )
        )

    async def audit_log(
        self,
        *,
        target_kind: str | None = None,
        target_id: int | str | None = None,
        action: str | None = None,
        limit: int = 100,
    ) -> list[AuditRecord]:
        """Entries, newest first, optionally about one target or of one action."""
        limit = v.integer("limit", limit, low=1, high=10_000)
        query = select(AuditEntry)
        if target_kind is not None:
            query = query.where(AuditEntry.target_kind == target_kind)
        if target_id is not None:
            query = query.where(AuditEntry.target_id == str(target_id))
        if action is not None:
            query = query.where(AuditEntry.action == action)
        query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        async with self._read() as session:
            return [audit_record(row) for row in await session.scalars(query)]
