"""Migration 0002 on SQLite and PostgreSQL: identities stored before it get their match key;
downgrading to 0001 removes exactly what it added."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from customers.db import alembic_config, make_engine, make_sessionmaker
from customers.store import CustomerStore

NEW_TABLES = {"audit_log", "api_keys", "merges", "erasures", "erased_counts"}


def _down(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


def _tables(connection: Connection) -> set[str]:
    return set(connection.dialect.get_table_names(connection))


async def test_upgrade_backfills_match_keys_and_downgrade_removes(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: _up(c, "0001"))
            await connection.execute(
                text(
                    "INSERT INTO customers (id, vip, attributes, created_at) "
                    "VALUES (1, false, '{}', '2026-01-01 00:00:00+00')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO identities (customer_id, kind, value, verified, created_at) "
                    "VALUES "
                    "(1, 'phone', '+442079460958', false, '2026-01-01 00:00:00+00'), "
                    "(1, 'email', 'a.nn+x@gmail.com', false, '2026-01-01 00:00:00+00'), "
                    "(1, 'chat', 'v-1', false, '2026-01-01 00:00:00+00')"
                )
            )
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: _up(c, "head"))
            keys = dict(
                (await connection.execute(text("SELECT kind, match_key FROM identities"))).all()
            )
            assert await connection.run_sync(_tables) >= NEW_TABLES
        assert keys == {"phone": "phone~2079460958", "email": "email~ann@gmail.com", "chat": None}
        store = CustomerStore(make_sessionmaker(engine))
        found = await store.match_identity("phone", "+1 207 946 0958")
        assert found.match == "maybe" and [c.customer.id for c in found.candidates] == [1]
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: _down(c, "0001"))
            assert not await connection.run_sync(_tables) & NEW_TABLES
            columns = await connection.run_sync(
                lambda c: {col["name"] for col in c.dialect.get_columns(c, "identities")}
            )
            assert "match_key" not in columns
            count = (await connection.execute(text("SELECT count(*) FROM identities"))).scalar()
            assert count == 3  # the data stored before 0002 is still there
    finally:
        await engine.dispose()


def _up(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
