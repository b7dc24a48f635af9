"""Engines, migrations, schema drift, time zones, errors and index use, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Index, MetaData, exc, insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

from customers import queries
from customers.db import alembic_config, check, make_engine, make_sessionmaker, migrate
from customers.exceptions import StoreUnavailable
from customers.models import AgentSkill, Base
from customers.store import CustomerStore

TABLES = {
    "agent_skills",
    "agents",
    "customers",
    "identities",
    "interactions",
    "journeys",
    "profile_data",
    "service_skills",
    "services",
    "skills",
}


def _version(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _diffs(connection: Connection, metadata: MetaData) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, metadata)


async def test_migrations_twice_are_a_no_op(
    db_url: str, store: CustomerStore, engine: AsyncEngine
) -> None:
    ann = await store.create_customer("Ann", identities=[("email", "ann@example.com")])
    async with engine.connect() as connection:
        before = await connection.run_sync(_version)
        tables = await connection.run_sync(lambda c: set(c.dialect.get_table_names(c)))
    await migrate(db_url)
    await migrate(db_url)
    async with engine.connect() as connection:
        assert await connection.run_sync(_version) == before == "0005"
    assert tables >= TABLES
    assert await store.find_by_identity("email", "ann@example.com") == ann


async def test_models_and_migrations_agree(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.run_sync(_diffs, Base.metadata) == []
        # and the comparison does notice drift: a model index the migration lacks
        drifted = MetaData(naming_convention=Base.metadata.naming_convention)
        for table in Base.metadata.tables.values():
            table.to_metadata(drifted)
        Index("ix_extra", drifted.tables["interactions"].c.topic)
        found = await connection.run_sync(_diffs, drifted)
    assert [d[0] for d in found] == ["add_index"] and found[0][1].name == "ix_extra"


async def test_downgrade_to_base_and_back(empty_db_url: str) -> None:
    await migrate(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.downgrade(_config_on(c), "base"))
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda c: set(c.dialect.get_table_names(c)))
            assert not names & TABLES
        await migrate(empty_db_url)
        async with engine.connect() as connection:
            assert await connection.run_sync(_version) == "0005"
    finally:
        await engine.dispose()


def _config_on(connection: Connection):  # alembic Config using our connection
    config = alembic_config()
    config.attributes["connection"] = connection
    return config


async def test_sqlite_file_parent_directory_is_created(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'a' / 'b' / 'omnivox.db'}"
    await migrate(url)
    assert (tmp_path / "a" / "b" / "omnivox.db").is_file()


async def test_sqlite_connections_enforce_foreign_keys_wal_and_wait(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    try:
        async with engine.connect() as connection:
            pragma = {
                name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("foreign_keys", "journal_mode", "busy_timeout")
            }
    finally:
        await engine.dispose()
    assert pragma == {"foreign_keys": 1, "journal_mode": "wal", "busy_timeout": 5000}


async def test_level_check_is_enforced_by_the_database(
    store: CustomerStore, engine: AsyncEngine
) -> None:
    bob = await store.create_agent("bob", "Bob", "PJSIP/1001")
    skill = await store.upsert_skill("billing")
    with pytest.raises(exc.IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(
                insert(AgentSkill).values(agent_id=bob.id, skill_id=skill, level=11)
            )
    with pytest.raises(exc.IntegrityError):  # foreign keys are on, on SQLite too
        async with engine.begin() as connection:
            await connection.execute(
                insert(AgentSkill).values(agent_id=999, skill_id=skill, level=1)
            )


async def test_aware_datetimes_round_trip_and_order_by_instant(
    store: CustomerStore, engine: AsyncEngine, db_backend: str
) -> None:
    ann = await store.create_customer("Ann")
    sydney, new_york = timezone(timedelta(hours=10)), timezone(timedelta(hours=-5))
    early = datetime(2024, 6, 1, 20, 0, 0, 1, tzinfo=sydney)  # 10:00:00.000001 UTC
    late = datetime(2024, 6, 1, 6, 0, tzinfo=new_york)  # 11:00 UTC, smaller wall clock
    first = await store.record_interaction(ann.id, "voice", "in", occurred_at=late)
    second = await store.record_interaction(ann.id, "voice", "in", occurred_at=early)
    page = await store.timeline(ann.id)
    assert [i.id for i in page.items] == [first.id, second.id]
    assert page.items[1].occurred_at == early and page.items[1].occurred_at.tzinfo is UTC
    assert page.items[1].occurred_at.isoformat() == "2024-06-01T10:00:00.000001+00:00"
    async with engine.connect() as connection:
        raw = (
            await connection.exec_driver_sql("SELECT min(occurred_at) FROM interactions")
        ).scalar()
    if db_backend == "sqlite":
        assert raw == "2024-06-01 10:00:00.000001"  # naive UTC text
    else:
        assert raw == early


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql+asyncpg://postgres:s3cret@127.0.0.1:1/x", "unavailable: .*(refused|Connect)"),
        pytest.param(
            "postgresql+asyncpg://postgres@127.0.0.1:5432/omnivox_no_such_db",
            "InvalidCatalogNameError: database .* does not exist",
            marks=pytest.mark.postgres,
        ),
        ("mysql://root@localhost/x", "driver 'mysql' is not supported"),
        ("sqlite:///plain.db", "driver 'sqlite' is not supported"),
        ("::not a url::", "cannot be parsed"),
    ],
)
async def test_unreachable_or_wrong_urls_raise_store_unavailable(url: str, message: str) -> None:
    with pytest.raises(StoreUnavailable, match=message) as info:
        await migrate(url)
    assert "\n" not in str(info.value) and "s3cret" not in str(info.value)


async def test_sqlite_path_that_cannot_exist(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(StoreUnavailable, match="unavailable"):
        await migrate(f"sqlite+aiosqlite:///{tmp_path / 'file' / 'omnivox.db'}")
    (tmp_path / "garbage.db").write_bytes(b"this is not a database file at all" * 100)
    with pytest.raises(StoreUnavailable, match="not a database"):
        await migrate(f"sqlite+aiosqlite:///{tmp_path / 'garbage.db'}")


async def test_health_check(engine: AsyncEngine) -> None:
    await check(engine)
    down = make_engine("postgresql+asyncpg://postgres:pw@127.0.0.1:1/x")
    try:
        with pytest.raises(
            StoreUnavailable, match=r"^database postgresql\+asyncpg://postgres:\*\*\*@"
        ):
            await check(down)
    finally:
        await down.dispose()


# --- index use ------------------------------------------------------------------------------


class _Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement: Any, prefix: str) -> None:
        self.statement = statement
        self.prefix = prefix


@compiles(_Explain)
def _compile_explain(element: _Explain, compiler: Any, **kw: Any) -> str:
    return f"{element.prefix} {compiler.process(element.statement, **kw)}"


async def _plan(engine: AsyncEngine, statement: Any) -> str:
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            await connection.exec_driver_sql("SET enable_seqscan = off")  # tables are tiny
            rows = await connection.execute(_Explain(statement, "EXPLAIN"))
            return "\n".join(r[0] for r in rows)
        rows = await connection.execute(_Explain(statement, "EXPLAIN QUERY PLAN"))
        return "\n".join(r[-1] for r in rows)


async def test_timeline_and_identity_lookup_use_indexes(
    store: CustomerStore, engine: AsyncEngine
) -> None:
    for n in range(3):
        ann = await store.create_customer(identities=[("email", f"c{n}@example.com")])
        for m in range(5):
            await store.record_interaction(ann.id, "voice", "in", intent=f"i{m % 2}")
    async with engine.begin() as connection:
        await connection.exec_driver_sql("ANALYZE")
    when = datetime(2024, 1, 1, tzinfo=UTC)

    for statement in (queries.timeline(1, 51), queries.timeline(1, 51, (when, 7))):
        plan = await _plan(engine, statement)
        assert "ix_interactions_timeline" in plan, plan
        assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan  # the index gives the order

    plan = await _plan(engine, queries.identity_owner("email", "c1@example.com"))
    if engine.dialect.name == "postgresql":
        assert "uq_identities_kind_value" in plan, plan
    else:  # SQLite names the index of an inline UNIQUE constraint itself
        assert "SEARCH identities USING INDEX" in plan and "kind=? AND value=?" in plan, plan

    plan = await _plan(engine, queries.intent_counts(1, when))
    assert "ix_interactions_intent" in plan, plan


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://postgres@127.0.0.1:1/x",
        pytest.param(
            "postgresql+asyncpg://postgres@127.0.0.1:5432/omnivox_no_such_db",
            marks=pytest.mark.postgres,
        ),
    ],
)
async def test_store_calls_on_an_unreachable_database_raise_store_unavailable(url: str) -> None:
    engine = make_engine(url)
    try:
        store = CustomerStore(make_sessionmaker(engine))
        with pytest.raises(StoreUnavailable, match="unavailable"):
            await store.get_customer(1)
        with pytest.raises(StoreUnavailable, match="unavailable"):
            await store.create_customer("Ann")
    finally:
        await engine.dispose()
