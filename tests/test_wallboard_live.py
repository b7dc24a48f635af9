"""The router's live service level on the wallboard socket: the real router (its tick reads the
levels from the routing state) on the real bus, calls answered and abandoned, and the board
showing the window's counts and "behind target" from the router's own at-risk set."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aiohttp import ClientWebSocketResponse

from customers.store import CustomerStore
from tests.wallboard_helpers import abandoned_call, answered_call, next_board, running


def service(board: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(next(s for s in board["services"] if s["name"] == name))


async def board_where(
    ws: ClientWebSocketResponse, ok: Callable[[dict[str, Any]], bool], within: float = 5.0
) -> dict[str, Any]:
    """The first board pushed for which ``ok`` holds; fails after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        board = await next_board(ws, wait=max(0.01, deadline - time.monotonic()))
        if ok(board):
            return board


async def test_live_level_and_behind_target_follow_the_routers_reads(
    sqlite_store: CustomerStore,
) -> None:
    async with running(sqlite_store, period_s=0.3) as board:
        ann = await board.agent("ann", skills={"billing": 7})
        await board.agent("sue", role="supervisor")
        ws = await board.socket(await board.token("sue"))

        # the router's first read: every service measured, nothing counted yet, none behind
        first = await board_where(ws, lambda b: service(b, "billing")["live"]["measured"])
        for name in ("billing", "tv_support"):
            live = service(first, name)["live"]
            assert (live["percent"], live["status"], live["behind"]) == (None, "none", False)
        assert first["totals"]["behind"] == 0

        await answered_call(board, "ann", ann.id, "c1")
        met = await board_where(ws, lambda b: service(b, "billing")["live"]["met"] == 1)
        live = service(met, "billing")["live"]
        assert (live["percent"], live["status"], live["window_s"]) == (100.0, "ok", 900.0)

        # a caller hangs up waiting: 1 met, 1 missed = 50 % of a goal of 80 %: behind
        started = time.perf_counter()
        await abandoned_call(board, "c2")
        behind = await board_where(ws, lambda b: service(b, "billing")["live"]["behind"])
        took = time.perf_counter() - started
        assert took < 2.5, f"behind target shown after {took:.2f} s"
        billing = service(behind, "billing")
        assert {k: billing["live"][k] for k in ("met", "missed", "late", "percent", "status")} == {
            "met": 1,
            "missed": 1,
            "late": 0,
            "percent": 50.0,
            "status": "behind",
        }
        assert board.router.levels.at_risk == {"billing"}
        assert behind["totals"]["behind"] == 1
        assert service(behind, "tv_support")["live"]["status"] == "none"
        # today's figure, from the store, sits beside it (same calls, its own rule)
        assert billing["sl"]["answered"] == 1 and billing["sl"]["abandoned"] == 1
        await ws.close()
