"""What every part of the store shares: sessions, the clock, error translation, upserts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from customers.db import unavailable
from customers.exceptions import NotFound
from customers.models import Customer
from customers.models.base import utcnow

_CONNECTION_ERRORS = (exc.OperationalError, exc.InterfaceError, OSError, TimeoutError)


def _is_unavailable(error: exc.DBAPIError) -> bool:
    # a bare DBAPIError is how the asyncpg adapter reports failures to connect (no such
    # database, role or password); its subclasses (IntegrityError...) are about our SQL
    return type(error) is exc.DBAPIError or error.connection_invalidated


class StoreBase:
    """Holds the session factory; subclasses add the operations of one area each."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        default_region: str = "US",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessionmaker
        self._default_region = default_region
        self._clock = clock

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncSession]:
        try:
            async with self._sessions() as session:
                yield session
        except _CONNECTION_ERRORS as error:
            raise self._unavailable(error) from None
        except exc.DBAPIError as error:
            if not _is_unavailable(error):
                raise
            raise self._unavailable(error) from None

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back on any error."""
        try:
            async with self._sessions() as session, session.begin():
                yield session
        except _CONNECTION_ERRORS as error:
            raise self._unavailable(error) from None
        except exc.DBAPIError as error:
            if not _is_unavailable(error):
                raise
            raise self._unavailable(error) from None

    def _unavailable(self, error: BaseException) -> Exception:
        bind = self._sessions.kw.get("bind")
        return unavailable(bind.url if bind is not None else "<unbound>", error)

    @staticmethod
    def _insert(session: AsyncSession, table: Any) -> Any:
        """INSERT supporting ``on_conflict_do_update/nothing`` on the session's backend."""
        dialect = session.get_bind().dialect.name
        return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)

    @staticmethod
    async def _require_customer(session: AsyncSession, customer_id: int) -> Customer:
        customer = await session.get(Customer, customer_id)
        if customer is None:
            raise NotFound(f"customer {customer_id} does not exist")
        return customer
