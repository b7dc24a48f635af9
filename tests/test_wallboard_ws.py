"""The wallboard over HTTP: supervisors only, and the board pushed within a second of a real
routing change (the real router on the real bus; the periodic push is set to 30 s so only the
change can explain a fast board)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
from aiohttp import WSMsgType

from customers.store import CustomerStore
from omnivox.wallboard import http as wallboard_http
from tests.wallboard_helpers import ami, answered_call, next_board, running, transfer


async def test_anonymous_and_agents_are_refused_supervisors_and_admins_see_it(
    sqlite_store: CustomerStore,
) -> None:
    async with running(sqlite_store) as board:
        await board.agent("ann")
        await board.agent("sue", role="supervisor")
        await board.agent("ada", role="admin")
        client = board.client

        response = await client.get("/wallboard")
        assert response.status == 401 and "Sign in" in await response.text()
        response = await client.get("/ws/wallboard")
        assert response.status == 401
        assert (await response.json())["error"] == "unauthorized"
        bad = {"Authorization": "Bearer not-a-token"}
        assert (await client.get("/ws/wallboard", headers=bad)).status == 401

        ann = {"Authorization": f"Bearer {await board.token('ann')}"}
        assert (await client.get("/wallboard", headers=ann)).status == 403
        response = await client.get("/ws/wallboard", headers=ann)
        assert response.status == 403
        assert "supervisors" in (await response.json())["message"]

        for login in ("sue", "ada"):
            token = await board.token(login)
            page = await client.get("/wallboard", headers={"Authorization": f"Bearer {token}"})
            assert page.status == 200 and 'id="services"' in await page.text()
            assert "script-src 'self'" in page.headers["Content-Security-Policy"]
            ws = await board.socket(token)
            hello = await ws.receive_json(timeout=5)
            assert hello["type"] == "hello" and hello["principal"]["login"] == login
            first = await next_board(ws)
            assert [s["name"] for s in first["services"]] == ["billing", "tv_support"]
            await ws.close()


async def test_board_follows_a_call_from_queue_to_answer_within_a_second(
    sqlite_store: CustomerStore,
) -> None:
    async with running(sqlite_store) as board:
        ann = await board.agent("ann", skills={"billing": 7})
        await board.agent("sue", role="supervisor")
        ws = await board.socket(await board.token("sue"))
        first = await next_board(ws)
        billing = first["services"][0]
        assert billing["waiting"] == 0 and first["agents"] == []

        # the IVR hands a caller over on the bus; nobody is ready: the caller waits
        started = time.perf_counter()
        await board.bus.publish("ivr.transfer", transfer("c1"))
        seen = await next_board(ws, wait=1.0)
        assert time.perf_counter() - started < 1.0
        billing = seen["services"][0]
        assert (billing["waiting"], billing["ringing"]) == (1, 0)
        assert billing["oldest_wait_s"] >= 0

        # ann clicks ready on her desktop: the router offers her the call at once
        started = time.perf_counter()
        await board.set_state("ann", ann.id, "ready")
        for _ in range(5):  # a board may still show her ready before the offer lands
            seen = await next_board(ws, wait=1.0)
            if seen["services"][0]["ringing"] == 1:
                break
        assert time.perf_counter() - started < 1.0
        assert [(a["name"], a["state"]) for a in seen["agents"]] == [("Ann", "reserved")]

        # Asterisk says she answered: talking, and the answer counts for today's service level
        started = time.perf_counter()
        await board.router.on_ami_event(
            ami("DialEnd", Uniqueid="c1", DialStatus="ANSWER", DestChannel="PJSIP/ann-1")
        )
        seen = await next_board(ws, wait=1.0)
        assert time.perf_counter() - started < 1.0
        billing = seen["services"][0]
        assert (billing["waiting"], billing["talking"]) == (0, 1)
        assert billing["sl"]["answered"] == 1 and billing["sl"]["in_target"] == 1
        assert billing["sl"]["percent"] == 100.0 and billing["sl"]["status"] == "ok"
        assert seen["agents"][0]["state"] == "on_call"

        # a second caller hangs up before anyone answers: abandoned, 1 of 2 in target
        await board.bus.publish("ivr.transfer", transfer("c2"))
        await next_board(ws, wait=1.0)
        await board.router.on_ami_event(ami("Hangup", Uniqueid="c2", Cause="16"))
        for _ in range(5):
            seen = await next_board(ws, wait=1.0)
            if seen["services"][0]["sl"]["abandoned"]:
                break
        assert seen["services"][0]["sl"]["percent"] == 50.0
        assert seen["services"][0]["sl"]["status"] == "behind"
        await ws.close()


async def test_changes_in_a_burst_are_pushed_as_one_board(sqlite_store: CustomerStore) -> None:
    async with running(sqlite_store) as board:
        await board.agent("sue", role="supervisor")
        ws = await board.socket(await board.token("sue"))
        await next_board(ws)
        for n in range(20):
            await board.bus.publish("ivr.transfer", transfer(f"burst-{n}"))
        seen = await next_board(ws, wait=1.0)
        assert seen["services"][0]["waiting"] == 20
        with pytest.raises(asyncio.TimeoutError):  # nothing else changed: nothing else is sent
            await ws.receive_json(timeout=0.5)
        await ws.close()


async def test_boards_are_pushed_periodically_so_waits_advance(
    sqlite_store: CustomerStore,
) -> None:
    async with running(sqlite_store, period_s=0.3) as board:
        await board.agent("sue", role="supervisor")
        await board.bus.publish("ivr.transfer", transfer("slow"))
        ws = await board.socket(await board.token("sue"))
        first = await next_board(ws)
        later = first
        for _ in range(10):
            later = await next_board(ws, wait=1.0)
            if later["services"][0]["oldest_wait_s"] > first["services"][0]["oldest_wait_s"]:
                break
        assert later["services"][0]["oldest_wait_s"] > first["services"][0]["oldest_wait_s"]
        assert later["at"] > first["at"]
        await ws.close()


async def test_service_level_restarts_at_local_midnight(sqlite_store: CustomerStore) -> None:
    now = [datetime(2026, 3, 9, 23, 59, 50, tzinfo=UTC).timestamp()]
    async with running(sqlite_store, clock=lambda: now[0], tz=UTC) as board:
        ann = await board.agent("ann", skills={"billing": 7})
        await answered_call(board, "ann", ann.id, "c9")
        before = await board.wallboard.board()
        assert before["day"] == "2026-03-09"
        assert before["services"][0]["sl"]["answered"] == 1
        now[0] += 20  # 00:00:10 the next day
        after = await board.wallboard.board()
        assert after["day"] == "2026-03-10"
        assert after["services"][0]["sl"]["answered"] == 0
        assert after["services"][0]["sl"]["percent"] is None


async def test_socket_is_closed_when_the_session_ends(
    sqlite_store: CustomerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wallboard_http, "RECHECK_S", 0.1)
    async with running(sqlite_store) as board:
        await board.agent("sue", role="supervisor")
        token = await board.token("sue")
        ws = await board.socket(token)
        await next_board(ws)
        await ws.send_json({"type": "ping"})
        while (message := await ws.receive_json(timeout=2))["type"] != "pong":
            pass
        response = await board.client.post(
            "/auth/logout", headers={"Authorization": f"Bearer {token}"}
        )
        assert (await response.json())["signed_out"] is True
        while True:
            message = await ws.receive(timeout=2)
            if message.type == WSMsgType.CLOSE:
                break
        assert ws.close_code == wallboard_http.CLOSE_SESSION
