"""Migration 0005 on SQLite and PostgreSQL: the store finds a chat's resume token through
``ix_resume_tokens_chat_id`` (the query plan names it), and downgrading to 0004 drops it."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from customers.db import alembic_config, make_engine
from customers.store.switch import token_of_chat

INDEX = "ix_resume_tokens_chat_id"


def _indexes(connection: Connection) -> set[str]:
    return {i["name"] for i in connection.dialect.get_indexes(connection, "resume_tokens")}


def _plan_sql(connection: Connection) -> str:
    """The store's statement with the chat id inlined, for EXPLAIN."""
    dialect = postgresql.dialect() if connection.dialect.name == "postgresql" else sqlite.dialect()
    compiled = token_of_chat("chat-42").compile(
        dialect=dialect, compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def _plan(connection: Connection) -> str:
    sql = _plan_sql(connection)
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL enable_seqscan = off"))  # the table is empty here
        rows = connection.execute(text(f"EXPLAIN {sql}")).scalars().all()
        return "\n".join(rows)
    rows = connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
    return "\n".join(str(row[-1]) for row in rows)


def _down(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def test_a_chat_finds_its_token_through_the_index(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        async with engine.begin() as connection:
            assert INDEX in await connection.run_sync(_indexes)
            plan = await connection.run_sync(_plan)
            assert INDEX in plan, plan
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: _down(c, "0004"))
            assert INDEX not in await connection.run_sync(_indexes)
    finally:
        await engine.dispose()
