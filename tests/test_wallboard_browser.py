"""The wallboard in real headless Chromium: a supervisor signs in, opens /wallboard, and sees a
queued caller, an agent getting ready and the answer appear live; the socket reconnects on its
own after the server drops it; no script or CSP error."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSCloseCode

from customers.store import CustomerStore
from omnivox.wallboard.http import SOCKETS
from tests.wallboard_helpers import abandoned_call, ami, answered_call, running, transfer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="no /usr/bin/chromium"),
]


async def supervisor_on_wallboard(browser: Any, board: Any) -> tuple[Any, list[str]]:
    """Sue (supervisor) signs in and opens /wallboard; the list collects script errors."""
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.goto(str(board.client.make_url("/")))
    await page.fill("#login", "sue")
    await page.fill("#password", "pw-sue")
    await page.click("#signin-submit")
    await page.wait_for_url("**/desktop")
    await page.goto(str(board.client.make_url("/wallboard")))
    return page, errors


async def test_supervisor_watches_the_board_change_live(
    browser: Any, sqlite_store: CustomerStore
) -> None:
    async with running(sqlite_store) as board:
        ann = await board.agent("ann", skills={"billing": 7})
        await board.agent("sue", role="supervisor")
        page, errors = await supervisor_on_wallboard(browser, board)
        await page.wait_for_selector("#conn[data-conn=up]")
        billing = "[data-service=billing]"
        await page.wait_for_selector(f"{billing}[data-waiting='0']")
        assert "sue (supervisor)" in await page.text_content("#me")
        assert await page.locator(".card").count() == 2
        assert await page.text_content("#no-agents:not([hidden])") == "No agent is signed in."

        # a caller is handed over on the bus: the card shows them within a second
        started = time.perf_counter()
        await board.bus.publish("ivr.transfer", transfer("c1"))
        await page.wait_for_selector(f"{billing}[data-waiting='1']", timeout=1000)
        assert time.perf_counter() - started < 1.0
        assert await page.text_content("#total-waiting") == "1"
        first = await page.text_content(f"{billing} .oldest .value")
        assert first is not None and first.startswith("0:0")
        await page.wait_for_function(  # the wait advances between pushes
            "t => document.querySelector('[data-service=billing] .oldest .value')"
            ".textContent !== t",
            arg=first,
            timeout=3000,
        )

        # ann gets ready: the router offers her the call; the board shows her ringing
        await board.set_state("ann", ann.id, "ready")
        row = f"tr[data-agent='{ann.id}']"
        await page.wait_for_selector(f"{row} .state[data-state=reserved]", timeout=1000)
        assert await page.text_content(f"{row} td:first-child") == "Ann"
        assert "1 ringing" in await page.text_content(f"{billing} h3")

        # she answers: nobody waits, the service level today is 100 %
        await board.router.on_ami_event(ami("DialEnd", Uniqueid="c1", DialStatus="ANSWER"))
        await page.wait_for_selector(f"{billing}[data-waiting='0']", timeout=1000)
        await page.wait_for_selector(f"{row} .state[data-state=on_call]", timeout=1000)
        assert await page.text_content(f"{billing} .sl .value") == "100.0%"
        assert await page.get_attribute(f"{billing} .sl", "data-status") == "ok"
        assert "1 talking" in await page.text_content(f"{billing} .detail")

        # the server drops the socket: the page reconnects by itself and stays live
        for socket in list(board.app[SOCKETS]):
            await socket.close(code=WSCloseCode.GOING_AWAY, message=b"restart")
        await page.wait_for_selector("#conn[data-conn=down]", timeout=2000)
        await page.wait_for_selector("#conn[data-conn=up]", timeout=5000)
        await board.bus.publish("ivr.transfer", transfer("c2"))
        await page.wait_for_selector(f"{billing}[data-waiting='1']", timeout=1000)
        assert errors == []


async def test_live_service_level_shows_counts_and_behind_target(
    browser: Any, sqlite_store: CustomerStore
) -> None:
    async with running(sqlite_store, period_s=0.3) as board:
        ann = await board.agent("ann", skills={"billing": 7})
        await board.agent("sue", role="supervisor")
        page, errors = await supervisor_on_wallboard(browser, board)
        billing, live = "[data-service=billing]", "[data-service=billing] .live"

        # measured, nothing counted: a dash, not 0 %; no marker
        await page.wait_for_selector(f"{live} .counts:text('0 met · 0 missed · 0 late')")
        assert await page.text_content(f"{live} .value") == "—"
        assert await page.get_attribute(live, "data-status") == "none"
        assert await page.text_content(f"{live} .label") == "live, last 15 min"
        assert await page.locator(".behind").count() == 0

        await answered_call(board, "ann", ann.id, "c1")
        await page.wait_for_selector(f"{live}[data-status=ok]", timeout=3000)
        assert await page.text_content(f"{live} .value") == "100.0%"
        assert await page.text_content(f"{live} .counts") == "1 met · 0 missed · 0 late"
        title = await page.get_attribute(live, "title")
        assert title is not None and "goal 80% in 20 s" in title and "last 15 min" in title

        # a caller hangs up waiting: 50 % of 80 %, the router has billing at risk
        await abandoned_call(board, "c2")
        await page.wait_for_selector(f"{billing}[data-at-risk=true]", timeout=3000)
        assert await page.text_content(f"{billing} h3 .behind") == "▲ behind target"
        assert await page.text_content(f"{live} .value") == "50.0%"
        assert await page.get_attribute(live, "data-status") == "behind"
        assert await page.text_content(f"{live} .counts") == "1 met · 1 missed · 0 late"
        assert await page.text_content("#total-behind") == "1"
        red = await page.eval_on_selector(f"{live} .value", "e => getComputedStyle(e).color")
        assert red == "rgb(255, 93, 93)"  # --bad
        # today's level sits beside it; tv_support has counted nothing
        assert await page.text_content(f"{billing} .sl .value") == "50.0%"
        tv = "[data-service=tv_support]"
        assert await page.text_content(f"{tv} .live .value") == "—"
        assert await page.get_attribute(tv, "data-at-risk") == "false"
        assert await page.text_content(f"{tv} .live .label") == "live, last 15 min"
        await page.screenshot(path="/tmp/omnivox/wallboard-live.png")
        assert errors == []


async def test_an_agent_is_refused_the_wallboard_page(
    browser: Any, sqlite_store: CustomerStore
) -> None:
    async with running(sqlite_store) as board:
        await board.agent("ann")
        page = await browser.new_page()
        await page.goto(str(board.client.make_url("/")))
        await page.fill("#login", "ann")
        await page.fill("#password", "pw-ann")
        await page.click("#signin-submit")
        await page.wait_for_url("**/desktop")
        response = await page.goto(str(board.client.make_url("/wallboard")))
        assert response is not None and response.status == 403
        assert "supervisors and admins" in await page.text_content("body")
