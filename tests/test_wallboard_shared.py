"""Service level today comes from the shared store: two wallboard instances over one database
(each its own engine, router and bus, as two omnivox processes) show the same figure, a
restarted instance still shows it, it is the services report's figure, and boards built in a
burst share one read. On SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from customers.db import make_engine, make_sessionmaker
from customers.store import CustomerStore
from omnivox.reports import REPORTS, Query, Sources
from tests.wallboard_helpers import (
    SERVICES,
    Board,
    abandoned_call,
    answered_call,
    next_board,
    running,
)


@asynccontextmanager
async def instance(db_url: str, **kwargs: Any) -> AsyncIterator[Board]:
    """One omnivox instance: its own connection pool to the shared database."""
    engine = make_engine(db_url)
    try:
        async with running(CustomerStore(make_sessionmaker(engine)), **kwargs) as board:
            yield board
    finally:
        await engine.dispose()


def billing_sl(board: dict[str, Any]) -> dict[str, Any]:
    return dict(next(s for s in board["services"] if s["name"] == "billing")["sl"])


async def test_two_instances_show_the_same_service_level_and_a_restart_keeps_it(
    db_url: str,
) -> None:
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(instance(db_url, tz=UTC))
        b = await stack.enter_async_context(instance(db_url, tz=UTC, period_s=0.3))
        ann = await a.agent("ann", skills={"billing": 7})
        await a.agent("sue", role="supervisor")
        watching_b = await b.socket(await b.token("sue"))
        assert billing_sl(await next_board(watching_b))["percent"] is None

        # every call goes through instance A; B's router and bus never hear of them
        await answered_call(a, "ann", ann.id, "c1")
        await abandoned_call(a, "c2")
        on_a = billing_sl(await a.wallboard.board())
        assert (on_a["answered"], on_a["in_target"], on_a["abandoned"]) == (1, 1, 1)
        assert on_a["percent"] == 50.0 and on_a["status"] == "behind"
        assert b.router.services and await b.router.contacts() == []

        for _ in range(20):  # B's periodic push reads the store again (at most 1 s old)
            on_b = billing_sl(await next_board(watching_b, wait=2.0))
            if on_b == on_a:  # not merely the answer: a read between the two writes has it alone
                break
        assert on_b == on_a
        await watching_b.close()

        # and it is the services report's service level over the same day
        start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        report = await REPORTS["services"].load(
            Sources(store=a.store, clock=lambda: datetime.now(UTC)),
            Query(start, datetime.now(UTC)),
        )
        row = report.rows[0]
        assert (row["service"], row["service_level_pct"]) == ("billing", on_a["percent"])

    # every instance stopped; one starts again on the same database
    async with instance(db_url, tz=UTC) as restarted:
        watching = await restarted.socket(await restarted.token("sue"))
        assert billing_sl(await next_board(watching)) == on_a
        await watching.close()


async def test_boards_in_a_burst_share_one_read_and_an_outcome_reads_again(
    db_url: str,
) -> None:
    now = [datetime(2026, 3, 9, 12, tzinfo=UTC).timestamp()]
    clock: Callable[[], float] = lambda: now[0]  # noqa: E731
    async with instance(db_url, clock=clock, tz=UTC) as board:
        ann = await board.agent("ann", skills={"billing": 7})
        wallboard = board.wallboard
        await asyncio.gather(*(wallboard.board() for _ in range(10)))
        assert wallboard.queries == 1
        now[0] += 0.5
        await wallboard.board()
        assert wallboard.queries == 1  # not older than refresh_s, nothing answered
        await answered_call(board, "ann", ann.id, "c1")
        assert billing_sl(await wallboard.board())["answered"] == 1
        assert wallboard.queries == 2  # an answer here reads again at once
        now[0] += 1.0
        await wallboard.board()
        assert wallboard.queries == 3  # older than refresh_s: read again
        assert list(SERVICES) == [s["name"] for s in (await wallboard.board())["services"]]
