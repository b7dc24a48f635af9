"""API keys of channel integrations: stored as the SHA-256 of the secret, with their scopes.

The secret itself is made and hashed by the caller (``omnivox.api.auth``); the store only ever
sees the hash, so a leaked database gives no usable key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select

from customers import validation as v
from customers.exceptions import Conflict, InvalidValue, NotFound
from customers.models import ApiKey
from customers.records import SYSTEM, Actor, ApiKeyRecord
from customers.store.audit import AuditOps, check_actor

_HASH = re.compile(r"^[0-9a-f]{64}$")


def api_key_record(row: ApiKey) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        scopes=tuple(row.scopes),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class ApiKeyOps(AuditOps):
    async def add_api_key(
        self,
        name: str,
        scopes: Sequence[str],
        *,
        key_hash: str,
        prefix: str,
        actor: Actor = SYSTEM,
    ) -> ApiKeyRecord:
        """Store a key by the hex SHA-256 of its secret; audited as ``api_key.create``."""
        actor = check_actor(actor)
        if not isinstance(key_hash, str) or not _HASH.match(key_hash):
            raise InvalidValue("key_hash", "expected 64 lowercase hex digits (SHA-256)")
        row = ApiKey(
            name=v.text("name", name, max_length=100),
            prefix=v.text("prefix", prefix, max_length=16),
            key_hash=key_hash,
            scopes=list(v.scopes("scopes", scopes)),
            created_at=self._clock(),
        )
        async with self._write() as session:
            if await session.scalar(select(ApiKey.id).where(ApiKey.key_hash == key_hash)):
                raise Conflict("an API key with this secret already exists")
            session.add(row)
            await session.flush()
            self._audit(session, actor, "api_key.create", "api_key", row.id, {"scopes": row.scopes})
            return api_key_record(row)

    async def api_key_by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        """The key whose secret hashes to ``key_hash`` (revoked ones too: check ``revoked_at``)."""
        async with self._read() as session:
            row = await session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))
            return None if row is None else api_key_record(row)

    async def list_api_keys(self) -> list[ApiKeyRecord]:
        async with self._read() as session:
            return [
                api_key_record(r) for r in await session.scalars(select(ApiKey).order_by(ApiKey.id))
            ]

    async def revoke_api_key(self, key_id: int, *, actor: Actor = SYSTEM) -> ApiKeyRecord:
        """Revoke a key for good (idempotent); audited as ``api_key.revoke``."""
        actor = check_actor(actor)
        async with self._write() as session:
            row = await session.get(ApiKey, v.integer("key_id", key_id))
            if row is None:
                raise NotFound(f"API key {key_id} does not exist")
            if row.revoked_at is None:
                row.revoked_at = self._clock()
                self._audit(session, actor, "api_key.revoke", "api_key", row.id)
            await session.flush()
            return api_key_record(row)
