"""A task cancelled twice in the middle of a SQLite query ends, and the store keeps working.

With plain aiosqlite, SQLAlchemy's terminate path stops the connection's worker thread twice
and its graceful close then waits forever (seen in CI as a hang at the event loop's close).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from customers.db import make_engine

# a few seconds of work inside SQLite, so the cancellation lands mid-query
SLOW = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000000) "
    "SELECT count(*) FROM c"
)


async def test_a_query_cancelled_twice_leaves_no_task_behind(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'omnivox.db'}")
    try:

        async def slow() -> None:
            async with engine.connect() as connection:
                await connection.execute(text(SLOW))

        task = asyncio.create_task(slow())
        await asyncio.sleep(0.2)
        task.cancel()  # a server stopping ...
        await asyncio.sleep(0)
        task.cancel()  # ... then the event loop's own shutdown
        await asyncio.sleep(0)
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert others  # the query's task and SQLAlchemy's graceful close
        _, stuck = await asyncio.wait(others, timeout=10)
        assert stuck == set(), stuck
        assert task.cancelled()
        async with engine.connect() as connection:  # the pool hands out a working connection
            assert (await connection.execute(text("SELECT 41 + 1"))).scalar() == 42
    finally:
        await engine.dispose()
