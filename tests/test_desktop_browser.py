"""The desktop in real headless Chromium: sign in, a routed call pops with its timeline, state
changes, the wrap-up is saved, the socket reconnects on its own; a screenshot for the README."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSCloseCode

from customers.store import CustomerStore
from omnivox.desktop import build_pop
from omnivox.desktop.keys import SOCKETS
from tests.desktop_helpers import DECISION, Desk, make_agent, running, seed_customer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="no /usr/bin/chromium"),
]
# the README's screenshot is rewritten only on request, so test runs leave the tree clean
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "desktop.png"
UPDATE_SCREENSHOT = os.environ.get("OMNIVOX_UPDATE_SCREENSHOT") == "1"


async def _sign_in(page: Any, desk: Desk, login: str) -> None:
    await page.goto(str(desk.client.make_url("/")))
    await page.fill("#login", login)
    await page.fill("#password", f"pw-{login}")
    await page.click("#signin-submit")
    await page.wait_for_url("**/desktop")
    await page.wait_for_selector("#conn[data-conn=up]")


def _contact(customer_id: int | None, journey_id: int | None, call_id: str) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "journey_id": journey_id,
        "customer_id": customer_id,
        "caller": "+14155550100" if customer_id else "+14155550777",
        "service": "billing",
        "skills": ["billing"],
        "priority": 5,
        "intent": "billing",
        "language": "en",
        "entered_at": "2026-03-08T09:00:00+00:00",
        "waited_s": 14.0,
        "kind": "call",
    }


async def test_sign_in_pop_state_and_wrapup(
    browser: Any, store: CustomerStore, tmp_path: Path
) -> None:
    customer_id, journey_id, kim = await seed_customer(store)
    ann = await make_agent(store, "ann", skills={"billing": 7})
    async with running(store) as desk:
        desk.presence.add(ann.id)
        page = await browser.new_page(viewport={"width": 1440, "height": 960})
        errors: list[str] = []  # script errors, and failed requests other than the bad sign-in
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        await page.goto(str(desk.client.make_url("/")))
        await page.fill("#login", "ann")
        await page.fill("#password", "wrong")
        await page.click("#signin-submit")
        await page.wait_for_selector("#signin-error:not([hidden])")
        assert "wrong login or password" in await page.text_content("#signin-error")
        assert errors == [
            "Failed to load resource: the server responded with a status of 401 (Unauthorized)"
        ]
        errors.clear()
        await _sign_in(page, desk, "ann")
        assert await page.text_content("#state") == "offline"

        await page.click("#btn-ready")
        await page.wait_for_selector("#state[data-state=ready]")
        assert (await desk.presence.get_state(ann.id))["state"] == "ready"

        # the router reserves ann: the pop is built and pushed, never polled
        pop = await build_pop(
            store,
            contact=_contact(customer_id, journey_id, "call-7"),
            trace=DECISION,
            agent_id=ann.id,
        )
        sent = await desk.hub.push(ann.id, pop)
        await page.wait_for_selector("#customer-name:has-text('Ann Smith')")
        assert await page.locator("#timeline .tl-item").count() == 4
        channels = await page.locator("#timeline .tl-item").evaluate_all(
            "items => items.map(i => i.dataset.channel)"
        )
        assert channels == ["sms", "voice", "chat", "email"]
        assert "wrong charge" in await page.text_content("#open-matters")
        assert "3 billing contacts" in await page.text_content("#journey")
        assert "prefilled from profile" in await page.text_content("#journey")
        assert "idle 42 s" in await page.text_content("#routing")
        assert "VIP" in await page.text_content("#customer")
        for _ in range(50):  # the browser acknowledges once the pop is on screen
            if not await desk.hub.store.pending(ann.id):
                break
            await page.wait_for_timeout(20)
        assert await desk.hub.store.pending(ann.id) == []

        await page.select_option("#nr-reason", "lunch")
        desk.presence.router_state(ann.id, "wrap_up", wrap_up_s=45)
        await page.click("#btn-not-ready")  # a break may start during wrap-up
        await page.wait_for_selector("#state[data-state=not_ready]")
        assert "lunch" in await page.text_content("#state")

        desk.presence.router_state(ann.id, "wrap_up", wrap_up_s=25)  # the call ended
        await page.reload()
        await page.wait_for_selector("#wrapup-countdown:not([hidden])")
        assert "wrap-up 0:2" in await page.text_content("#wrapup-countdown")
        await page.wait_for_selector("#customer-name:has-text('Ann Smith')")  # current pop kept

        await page.fill("#wu-notes", "Refund of the roaming charge agreed; SMS confirmation sent.")
        await page.fill("#wu-disposition", "refund_agreed")
        await page.fill("#wu-topic", "roaming charge")
        await page.check("input[name=wu-outcome][value=resolved]")
        await page.click("#wu-save")
        await page.wait_for_selector("#wu-result.ok")
        newest = (await store.timeline(customer_id, limit=1)).items[0]
        assert (newest.agent_id, newest.data["disposition"], newest.topic) == (
            ann.id,
            "refund_agreed",
            "roaming charge",
        )
        assert await page.locator("#timeline .tl-item").count() == 5
        shot = SCREENSHOT if UPDATE_SCREENSHOT else tmp_path / "desktop.png"
        shot.parent.mkdir(exist_ok=True)
        await page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert sent["id"] and kim
        assert errors == []


async def test_the_page_reconnects_and_gets_what_it_missed(
    browser: Any, sqlite_store: CustomerStore
) -> None:
    ann = await make_agent(sqlite_store, "ann")
    async with running(sqlite_store) as desk:
        page = await browser.new_page()
        await _sign_in(page, desk, "ann")
        for socket in list(desk.app[SOCKETS]):  # the server drops the socket (restart, network)
            await socket.close(code=WSCloseCode.SERVICE_RESTART, message=b"restart")
        await page.wait_for_selector("#conn[data-conn=down]")
        pop = await build_pop(sqlite_store, contact=_contact(None, None, "call-missed"), trace=None)
        await desk.hub.push(ann.id, pop)  # nobody is connected right now
        await page.wait_for_selector("#conn[data-conn=up]", timeout=10_000)
        await page.wait_for_selector("#customer-name:has-text('Unknown caller')")
        assert "+14155550777" in await page.text_content("#customer")

        await page.fill("#new-name", "Gil Newman")
        await page.click("#create-customer button")
        await page.wait_for_selector("#customer-name:has-text('Gil Newman')")
        found = await sqlite_store.find_by_identity("phone", "+14155550777")
        assert found is not None and found.display_name == "Gil Newman"


async def test_signing_out_returns_to_the_sign_in_page(
    browser: Any, sqlite_store: CustomerStore
) -> None:
    await make_agent(sqlite_store, "ann")
    async with running(sqlite_store) as desk:
        page = await browser.new_page()
        await _sign_in(page, desk, "ann")
        await page.click("#signout button")
        await page.wait_for_url(str(desk.client.make_url("/")))
        await page.goto(str(desk.client.make_url("/desktop")))
        assert page.url == str(desk.client.make_url("/"))
