"""The chat continuing a call, both sides in real headless Chromium on a running omnivox: a
scripted Asterisk calls the telecom line over FastAGI and asks for the SMS link; the customer
opens it and sees their place in the queue move; the agent, signed in on the desktop in a
second page, goes ready and gets the chat's pop with the conversation; they write to each
other live; a reload shows the whole conversation; the agent ends the chat, which is then a
closed chat interaction with its transcript on the customer's timeline."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ivr.fastagi.client import presses_on_hearing, run_call
from omnivox.server import OmnivoxServer
from tests.desktop_helpers import make_agent
from tests.ivr_helpers import OPEN, running_clock
from tests.switch_helpers import Gateway, gateway_settings, sign_in_desk

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="no /usr/bin/chromium"),
]
ROOT = Path(__file__).resolve().parent.parent
CALLER = "+14155550124"


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    gw = Gateway()
    await gw.server.start_server()
    yield gw
    await gw.server.close()


def _errors(page: Any) -> list[str]:
    found: list[str] = []
    page.on("pageerror", lambda exc: found.append(str(exc)))
    page.on("console", lambda m: found.append(m.text) if m.type == "error" else None)
    return found


async def test_customer_and_agent_chat_live_with_the_queue_place(
    tmp_path: Path, gateway: Gateway, browser: Any
) -> None:
    settings = gateway_settings(tmp_path, gateway, "switch-chat-secret-0123456789")
    async with OmnivoxServer(settings, clock=running_clock(OPEN)) as server:
        assert server.store is not None and server.router is not None
        assert server.fastagi is not None
        base = f"http://127.0.0.1:{server.http_port}"
        bea = await make_agent(server.store, "bea", skills={"billing": 7})
        await server.router.add_agent(bea)

        # the agent signs in, not ready yet
        desk_errors: list[str] = []
        desk = await sign_in_desk(browser, base, "bea", desk_errors)
        await desk.wait_for_selector("#conn[data-conn=up]")

        # the caller asks for the link in the IVR (billing, account, 1: "send me a link")
        call = await run_call(
            "127.0.0.1",
            server.fastagi.port,
            script="telecom",
            callerid=CALLER,
            digits="55556666#1",
            responder=presses_on_hearing("6"),
        )
        assert call.variables["OMNIVOX_ACTION"] == "hangup"
        await asyncio.wait_for(gateway.arrived.wait(), 10)
        found = re.search(r"(https?://\S+/continue/\S+)$", gateway.texts[0]["body"])
        assert found is not None
        link = found.group(1)

        # somebody else already waits for billing
        await server.router.queue_call({"call_id": "other-caller", "service": "billing"})

        # the customer opens the link: second in the queue, then next when the other leaves
        chat = await browser.new_page()
        chat_errors = _errors(chat)
        await chat.goto(link)
        await chat.wait_for_selector("#queue[data-position='2']")
        assert await chat.text_content("#queue") == "You are 2nd in the queue (2 waiting)."
        await chat.fill("#text", "I was charged twice for March.")
        await chat.click("#send")
        await chat.wait_for_selector(".msg-customer:has-text('charged twice')")
        await server.router.end_contact("other-caller")
        await chat.wait_for_selector("#queue[data-position='1']")
        assert await chat.text_content("#queue") == "You are next in the queue (1 waiting)."

        # the agent goes ready: the chat pops with what the customer already wrote
        await desk.click("#btn-ready")
        await desk.wait_for_selector("#pop-kind:has-text('Chat')")
        await desk.wait_for_selector("#chat:not([hidden]) .chat-customer:has-text('charged twice')")
        await chat.wait_for_selector("#queue[data-phase=active]")
        assert await chat.text_content("#queue") == "An agent has joined the chat."

        # the agent replies; the customer's page shows it at once
        await desk.fill("#chat-text", "Sorry about that: the refund is on its way.")
        await desk.click("#chat-send")
        await desk.wait_for_selector(".chat-agent:has-text('refund is on its way')")
        reply = await chat.wait_for_selector(".msg-agent:has-text('refund is on its way')")
        assert "Bea" in await reply.text_content()

        # the customer writes back; the agent sees it
        await chat.fill("#text", "Thank you! When will I see it?")
        await chat.click("#send")
        await desk.wait_for_selector(".chat-customer:has-text('When will I see it?')")

        # a reload shows the whole conversation, in order
        await chat.reload()
        await chat.wait_for_selector(".msg:nth-child(3)")
        texts = await chat.locator("#messages .msg").all_text_contents()
        assert [t.replace("Bea", "", 1) if i == 1 else t for i, t in enumerate(texts)] == [
            "I was charged twice for March.",
            "Sorry about that: the refund is on its way.",
            "Thank you! When will I see it?",
        ]

        # the agent ends the chat: the customer is told, the agent is in wrap-up
        await desk.click("#chat-end")
        await chat.wait_for_selector("#ended:not([hidden])")
        assert await chat.is_hidden("#composer")
        await desk.wait_for_selector("#chat-state:has-text('ended')")
        await desk.wait_for_selector("#state[data-state=wrap_up]")
        assert desk_errors == [] and chat_errors == []

        customer = await server.store.find_by_identity("phone", CALLER)
        assert customer is not None
        page = await server.store.timeline(customer.id)
        chats = [i for i in page.items if i.channel == "chat"]
        assert len(chats) == 1 and chats[0].open is False and chats[0].agent_id == bea.id
        assert [(m["from"], m["text"]) for m in chats[0].data["messages"]] == [
            ("customer", "I was charged twice for March."),
            ("agent", "Sorry about that: the refund is on its way."),
            ("customer", "Thank you! When will I see it?"),
        ]
