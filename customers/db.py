"""Engines, sessions, migrations and the health probe of the customer store.

Only ``sqlite+aiosqlite`` and ``postgresql+asyncpg`` URLs are supported; every failure to reach
or open the database becomes :class:`StoreUnavailable` with a one-line message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, exc, make_url, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from customers import sqlite_driver
from customers.exceptions import StoreUnavailable

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
SQLITE_BUSY_TIMEOUT_MS = 5000
MIGRATIONS = "customers:migrations"  # package resource: works from a wheel install too
_MIGRATION_LOCK_ID = 0x6F6D6E69  # PostgreSQL advisory lock: one migrator at a time

# Errors that mean "cannot reach or open the database" rather than "our SQL is wrong".
UNREACHABLE = (exc.DBAPIError, OSError, TimeoutError)


def safe_url(url: str | URL) -> str:
    """``url`` with the password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return "<unparseable database URL>"


def describe(error: BaseException) -> str:
    """The first line of what the driver said, without SQLAlchemy's boilerplate."""
    cause: BaseException = getattr(error, "orig", None) or error
    while cause.__cause__ is not None:  # driver adapters wrap the driver's own error
        cause = cause.__cause__
    message = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{type(cause).__name__}: {message}" if message else type(cause).__name__


def unavailable(url: str | URL, error: BaseException) -> StoreUnavailable:
    return StoreUnavailable(f"database {safe_url(url)} is unavailable: {describe(error)}")


def make_engine(url: str) -> AsyncEngine:
    """An async engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        raise StoreUnavailable(f"database URL {url!r} cannot be parsed") from None
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise StoreUnavailable(
            f"database {safe_url(parsed)}: driver {parsed.drivername!r} is not supported; "
            f"use {' or '.join(SUPPORTED_DRIVERS)}"
        )
    if parsed.drivername.startswith("sqlite"):
        return _sqlite_engine(parsed)
    return create_async_engine(
        parsed,
        pool_size=10,
        max_overflow=10,
        pool_timeout=10,
        pool_recycle=1800,
        pool_pre_ping=True,
        connect_args={"timeout": 5},
    )


def _sqlite_engine(url: URL) -> AsyncEngine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory:
        try:
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise unavailable(url, error) from None
    engine = create_async_engine(
        url,
        connect_args={
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
            "async_creator_fn": sqlite_driver.connect,
        },
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (the store returns records anyway)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _upgrade_head(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (``alembic upgrade head``)."""
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_head)
    except UNREACHABLE as error:
        raise unavailable(url, error) from None
    finally:
        await engine.dispose()


async def check(engine: AsyncEngine) -> None:
    """Health probe: ``SELECT 1``; raise :class:`StoreUnavailable` if the database is down."""
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except UNREACHABLE as error:
        raise unavailable(engine.url, error) from None
