"""Call -> SMS link -> chat continuation shows the call's context, end to end on a running
omnivox: a scripted Asterisk calls the telecom line over FastAGI and asks for the link, the
outbox worker posts the text to a real local webhook, the customer opens the link in headless
Chromium and writes, and the agent's desktop pops the chat with the call's IVR path and data."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ivr.fastagi.client import presses_on_hearing, run_call
from omnivox.desktop import build_pop, contact_from_offer
from omnivox.server import OmnivoxServer
from tests.desktop_helpers import make_agent
from tests.ivr_helpers import OPEN, running_clock
from tests.switch_helpers import Gateway, gateway_settings, sign_in_desk

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="no /usr/bin/chromium"),
]
ROOT = Path(__file__).resolve().parent.parent
CALLER = "+14155550123"


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    gw = Gateway()
    await gw.server.start_server()
    yield gw
    await gw.server.close()


async def test_call_sms_link_chat_continuation_pops_with_the_call_context(
    tmp_path: Path, gateway: Gateway, browser: Any
) -> None:
    settings = gateway_settings(tmp_path, gateway, "switch-e2e-secret-0123456789")
    async with OmnivoxServer(settings, clock=running_clock(OPEN)) as server:
        assert server.store is not None and server.router is not None
        assert server.fastagi is not None
        base = f"http://127.0.0.1:{server.http_port}"
        bea = await make_agent(server.store, "bea", skills={"billing": 7})
        await server.router.add_agent(bea)

        # the agent signs in and is ready before the call
        desk = await sign_in_desk(browser, base, "bea")
        await desk.wait_for_selector("#conn[data-conn=up]")
        await desk.click("#btn-ready")
        await desk.wait_for_selector("#state[data-state=ready]")

        # a first-time caller: billing (6), types the account, then 1: "send me a link"
        call = await run_call(
            "127.0.0.1",
            server.fastagi.port,
            script="telecom",
            callerid=CALLER,
            digits="55556666#1",
            responder=presses_on_hearing("6"),
        )
        assert call.variables["OMNIVOX_ACTION"] == "hangup"
        call_id = call.env["agi_uniqueid"]
        await asyncio.wait_for(gateway.arrived.wait(), 10)
        text = gateway.texts[0]
        assert text["to"] == CALLER and text["key"] == f"sms_link:{call_id}"
        found = re.search(r"(https?://\S+/continue/(\S+))$", text["body"])
        assert found is not None and "about your bill" in text["body"]
        link, token = found.groups()
        assert link.startswith(base)

        # the customer opens the link: the chat knows what the call was about
        chat = await browser.new_page()
        errors: list[str] = []
        chat.on("pageerror", lambda exc: errors.append(str(exc)))
        await chat.goto(link)
        await chat.wait_for_selector("#composer:not([hidden])")
        assert await chat.text_content("#title") == "Continuing your call about your bill"
        assert "account number: ••••6666" in await chat.text_content("#collected")
        await chat.fill("#text", "I was charged twice for March.")
        await chat.click("#send")
        await chat.wait_for_selector(".msg-customer:has-text('charged twice')")

        # the agent's pop: a chat, with the call's IVR path and the data it collected
        await desk.wait_for_selector("#pop-kind:has-text('Chat')")
        journey_text = await desk.text_content("#journey")
        assert "55556666" in journey_text and "account number" in journey_text
        assert "billing_offer" in await desk.inner_html("#journey")
        assert errors == []

        offered = [p for t, p in server.bus.recent if t == "routing.offered"]
        assert len(offered) == 1 and offered[0]["agent"] == str(bea.id)
        pop = await build_pop(server.store, contact=contact_from_offer(offered[0], 0), trace=None)
        assert pop["contact"]["kind"] == "chat" and pop["contact"]["media"] == "chat"
        assert pop["contact"]["continues"] == call_id
        assert pop["journey"]["intent"] == "billing"
        assert "billing_offer" in [s["node"] for s in pop["journey"]["path"]]
        assert {"field": "account_number", "value": "55556666"}.items() <= next(
            i for i in pop["journey"]["inputs"] if i["field"] == "account_number"
        ).items()

        # the chat is on the customer's timeline, linked to the call's journey, with the text
        customer = await server.store.find_by_identity("phone", CALLER)
        assert customer is not None
        journey = await server.store.get_journey(call_id)
        assert journey is not None
        page = await server.store.timeline(customer.id)
        chats = [i for i in page.items if i.channel == "chat"]
        assert len(chats) == 1 and chats[0].journey_id == journey.id
        assert chats[0].data["continues"] == call_id
        assert [m["text"] for m in chats[0].data["messages"]] == ["I was charged twice for March."]

        # the link opens one chat: another browser gets the 410 page; a wrong token a 404
        async with aiohttp.ClientSession() as http:
            async with http.get(link) as reply:
                assert reply.status == 410 and "already used" in await reply.text()
            async with http.get(f"{base}/continue/{token[:-2]}xx") as reply:
                assert reply.status == 404 and "not valid" in await reply.text()
            async with http.post(f"{base}/api/continuations/{token}", json={}) as reply:
                assert reply.status == 410 and (await reply.json())["error"] == "used_token"
