"""In real headless Chromium: a supervisor watching the wallboard is demoted; the page stops,
saying the wallboard is for supervisors (close code 4403), instead of reconnecting forever; a
demoted supervisor's desktop (close code 4409) redraws as an agent's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from customers.store import CustomerStore
from omnivox.auth.http import SESSIONS
from tests.wallboard_helpers import Board, running

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="no /usr/bin/chromium"),
]


async def signed_in(browser: Any, board: Board, login: str) -> tuple[Any, list[str]]:
    """A Chromium page signed in as ``login`` (on the desktop), and its page errors."""
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(str(board.client.make_url("/")))
    await page.fill("#login", login)
    await page.fill("#password", f"pw-{login}")
    await page.click("#signin-submit")
    await page.wait_for_url("**/desktop")
    return page, errors


async def test_a_demoted_supervisors_wallboard_says_why_it_stopped(
    browser: Any, sqlite_store: CustomerStore
) -> None:
    async with running(sqlite_store) as board:
        sue = await board.agent("sue", role="supervisor")
        page, errors = await signed_in(browser, board, "sue")
        await page.goto(str(board.client.make_url("/wallboard")))
        await page.wait_for_selector("#conn[data-conn=up]")

        # what the admin page does: the store, then the sessions are told
        await sqlite_store.update_agent(sue.id, {"role": "agent"})
        await board.app[SESSIONS].agent_changed(sue.id)

        await page.wait_for_selector("#conn[data-conn=down]", timeout=10_000)
        assert await page.text_content("#conn") == "not allowed"
        notice = await page.text_content("#notice:not([hidden])")
        assert notice is not None and "for supervisors and admins" in notice
        assert errors == []


async def test_a_demoted_supervisors_desktop_redraws_as_an_agents(
    browser: Any, sqlite_store: CustomerStore
) -> None:
    async with running(sqlite_store) as board:
        sue = await board.agent("sue", role="supervisor")
        page, errors = await signed_in(browser, board, "sue")
        await page.wait_for_selector("#conn[data-conn=up]")
        assert await page.is_visible("#watch-form")
        assert "supervisor" in (await page.text_content("#me") or "")

        await sqlite_store.update_agent(sue.id, {"role": "agent"})
        await board.app[SESSIONS].agent_changed(sue.id)

        # the socket closes with 4409; the page reloads and draws what an agent sees
        await page.wait_for_selector("#me:has-text('sue · agent')", timeout=10_000)
        await page.wait_for_selector("#conn[data-conn=up]")
        assert await page.is_hidden("#watch-form")
        assert await page.is_hidden("#staff-links")
        assert errors == []
