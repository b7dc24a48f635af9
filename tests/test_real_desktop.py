"""The agent desktop in real headless Chromium with real calls through a real Asterisk 22.

A customer known on email, chat and SMS (ingested through ``POST /api/interactions``) calls;
the IVR personalises the menu, the router reserves the agent signed in in Chromium, and the pop
is on the agent's screen while their phone (a stand-in of ``agent-sim``) rings; the wrap-up the
agent types is the voice interaction on the timeline. A callback asked for in the IVR pops as a
callback when the agent goes ready, then the customer's phone rings (``callback-sim``).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from customers.store import CustomerStore
from omnivox.api import create_api_key
from omnivox.auth import hash_password
from omnivox.config import AMISettings, Bind, Settings
from omnivox.server import OmnivoxServer
from routing.ami import AMIClient
from tests.desktop_helpers import CHEAP
from tests.fixtures.asterisk import AsteriskService
from tests.ivr_helpers import ACCOUNT, running_clock
from tests.test_real_call import ivr_half_hangup, place_call

pytestmark = [
    pytest.mark.asterisk,
    pytest.mark.browser,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="no /usr/bin/chromium"),
]
ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs" / "desktop.png"
UPDATE_SCREENSHOT = os.environ.get("OMNIVOX_UPDATE_SCREENSHOT") == "1"
PHONE = "+14155550151"
# A regular about bills hears billing first (key 1) and confirms the account on file (1).
KEEP_WAITING = "w:2^d:1^w:2^d:1^w:1^d:3^w:60^h"  # then "keep waiting" at the busy offer
CALL_ME_BACK = "w:2^d:1^w:2^d:1^w:1^d:2^w:15^h"  # then "call me back" (key 2)
ROUTING = """
services:
  billing:
    requires: {billing: 5}
    wrap_up_s: 30
"""


def support_hours_start() -> datetime:
    """Now if the telecom line is open (Moscow, UTC+3: 08-22 on weekdays, 09-20 at weekends;
    an hour's margin), else the last weekday 10:00 UTC: the IVR's clock runs from there, so
    the "3 d ago" of the timeline the browser draws (by its own clock) reads about right."""
    now = datetime.now(UTC)
    first, last = (6, 18) if now.weekday() < 5 else (7, 16)
    if first <= now.hour < last and (now.month, now.day) != (1, 1):
        return now
    day = now.replace(hour=10, minute=0, second=0, microsecond=0)
    while day > now or day.weekday() >= 5 or (day.month, day.day) == (1, 1):
        day -= timedelta(days=1)
    return day


@pytest.fixture
async def omnivox(asterisk: AsteriskService, tmp_path: Path) -> AsyncIterator[OmnivoxServer]:
    routing = tmp_path / "routing.yaml"
    routing.write_text(ROUTING)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'omnivox.db'}",
        ami=AMISettings(
            asterisk.ami_host, asterisk.ami_port, asterisk.ami_user, asterisk.ami_secret
        ),
        fastagi_bind=Bind("127.0.0.1", 0),
        http_bind=Bind("127.0.0.1", 0),
        scenarios=ROOT / "scenarios",
        sounds=asterisk.sounds_dir,
        routing=routing,
        secret_key="real-desktop-test-secret-0123456789",
    )
    async with OmnivoxServer(settings, clock=running_clock(support_hours_start())) as server:
        assert server.fastagi is not None
        asterisk.point_agi("127.0.0.1", server.fastagi.port)
        asterisk.set_global("OMNIVOX_RING_TIMEOUT", "4")
        yield server


@pytest.fixture
async def ami(asterisk: AsteriskService) -> AsyncIterator[AMIClient]:
    client = AMIClient(asterisk.ami_host, asterisk.ami_port, asterisk.ami_user, asterisk.ami_secret)
    await client.connect()
    yield client
    await client.close()


class Channels:
    """Another channel's integration: an API key with the scopes it needs, over real HTTP."""

    def __init__(self, http: aiohttp.ClientSession, base: str, key: str) -> None:
        self.http, self.base = http, base
        self.headers = {"Authorization": f"Bearer {key}"}

    async def call(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        async with self.http.request(
            method, self.base + path, json=body, headers=self.headers
        ) as reply:
            data = await reply.json()
            assert reply.status == status, data
            return data


@pytest.fixture
async def channels(omnivox: OmnivoxServer) -> AsyncIterator[Channels]:
    assert omnivox.store is not None
    scopes = ("customers:read", "customers:write", "interactions:write")
    key = await create_api_key(omnivox.store, "channels", scopes)
    async with aiohttp.ClientSession() as http:
        yield Channels(http, f"http://127.0.0.1:{omnivox.http_port}", key)


async def cross_channel_customer(channels: Channels, store: CustomerStore, now: datetime) -> int:
    """Ann: a profile, then an e-mail, a chat and an SMS from those channels' integrations,
    each naming her by an identity of its own channel; her account number is on file."""
    created = await channels.call(
        "POST",
        "/api/customers",
        {
            "display_name": "Ann Smith",
            "segment": "gold",
            "identities": [{"kind": "phone", "value": PHONE}],
        },
        status=201,
    )
    ann = created["customer"]
    rows = [
        ("email", "in", 9, "invoice question", "resolved", False, ("email", "Ann@Example.com")),
        ("chat", "in", 3, "wrong roaming charge", "unresolved", True, ("chat", "web-visitor-81")),
        ("sms", "out", 1, "payment reminder", None, False, ("phone", "(415) 555-0151")),
    ]
    for channel, direction, days, topic, outcome, is_open, identity in rows:
        body = {
            "idempotency_key": f"{channel}-{days}",
            "channel": channel,
            "direction": direction,
            "occurred_at": (now - timedelta(days=days)).isoformat(),
            "intent": "billing",
            "topic": topic,
            "summary": f"{topic} ({channel})",
            "open": is_open,
            "identities": [
                {"kind": "phone", "value": PHONE} if channel != "sms" else None,
                {"kind": identity[0], "value": identity[1]},
            ],
        }
        body["identities"] = [i for i in body["identities"] if i is not None]
        if outcome:
            body["outcome"] = outcome
        ingested = await channels.call("POST", "/api/interactions", body, status=201)
        assert (ingested["customer_id"], ingested["match"]) == (ann["id"], "known"), ingested
    await store.save_profile_data(ann["id"], "account_number", ACCOUNT, "email")
    return int(ann["id"])


async def seat(server: OmnivoxServer, login: str, endpoint: str) -> int:
    """An agent with a password (they sign in in the browser), known to the router."""
    assert server.store is not None and server.router is not None
    record = await server.store.create_agent(
        login,
        login.capitalize(),
        endpoint,
        skills={"billing": 7},
        password_hash=hash_password(f"pw-{login}", CHEAP),
    )
    await server.router.add_agent(record)
    return record.id


async def sign_in(browser: Any, server: OmnivoxServer, login: str) -> tuple[Any, list[str]]:
    """A 1280x800 page signed in as ``login``, its socket up; script errors are collected."""
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.goto(f"http://127.0.0.1:{server.http_port}/")
    await page.fill("#login", login)
    await page.fill("#password", f"pw-{login}")
    await page.click("#signin-submit")
    await page.wait_for_url("**/desktop")
    await page.wait_for_selector("#conn[data-conn=up]")
    # when the pop is painted, by the browser's clock (the same wall clock as this process)
    await page.evaluate(
        """() => new MutationObserver((_, observer) => {
            if (!document.getElementById('pop').hidden) {
              window.popShownAt = Date.now(); observer.disconnect();
            }
          }).observe(document.getElementById('pop'), {attributes: true})"""
    )
    return page, errors


def user_event(name: str) -> Any:
    return lambda e: e.get("UserEvent") == name


def topics(server: OmnivoxServer, topic: str) -> list[dict[str, Any]]:
    return [payload for name, payload in server.bus.recent if name == topic]


async def until(check: Any, limit_s: float = 60.0) -> Any:
    async with asyncio.timeout(limit_s):
        while not (result := check()):  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    return result


async def journey_stored(store: CustomerStore, journey_id: int) -> None:
    """Wait until the IVR has stored the journey of a call that ended."""
    async with asyncio.timeout(10):
        while True:
            journey = await store.get_journey(journey_id)
            if journey is not None and journey.status != "in_progress":
                return
            await asyncio.sleep(0.1)


async def test_a_known_customer_calls_and_the_pop_shows_every_channel_and_the_ivr(
    omnivox: OmnivoxServer, ami: AMIClient, browser: Any, channels: Channels, tmp_path: Path
) -> None:
    assert omnivox.store is not None
    now = omnivox.clock()
    customer = await cross_channel_customer(channels, omnivox.store, now)
    ann = await seat(omnivox, "ann", "Local/1001@agent-sim")
    page, errors = await sign_in(browser, omnivox, "ann")
    await page.click("#btn-ready")
    await page.wait_for_selector("#state[data-state=ready]")

    rang: dict[str, float] = {}

    def ringing(event: Any) -> None:
        if "agent-sim" in event.get("DestChannel", ""):
            rang.setdefault("at", time.time())

    ami.on_event("DialBegin", ringing)
    answered = ami.expect("UserEvent", user_event("AgentSimAnswered"))
    await place_call(ami, KEEP_WAITING, PHONE)
    await page.wait_for_selector("#customer-name:has-text('Ann Smith')", timeout=60_000)
    picked_up = await asyncio.wait_for(answered, 20)
    assert picked_up["Agent"] == "1001"
    shown_at = await page.evaluate("window.popShownAt") / 1000
    # pushed before the router sent the call to the agent's phone: on screen while it rings
    assert shown_at - rang["at"] < 0.5, (shown_at, rang)

    assert await page.text_content("#pop-kind") == "Inbound call"
    card = await page.text_content("#customer")
    for shown in ("gold", PHONE, "ann@example.com", "web-visitor-81"):
        assert shown in card, (shown, card)
    # the timeline across channels, newest first; this call's own IVR record marked as such
    items = page.locator("#timeline .tl-item")
    channels_shown = await items.evaluate_all("items => items.map(i => i.dataset.channel)")
    assert channels_shown == ["voice", "sms", "chat", "email"]
    assert await page.locator("#timeline .tl-item.this-call").count() == 1
    assert "this call" in await items.first.text_content()
    times = await page.locator("#timeline time").evaluate_all(
        "ts => ts.map(t => t.getAttribute('datetime'))"
    )
    assert times == sorted(times, reverse=True)
    matters = await page.locator("#open-matters .tl-item").all_text_contents()
    assert len(matters) == 1 and "wrong roaming charge" in matters[0]
    # the IVR path: billing promoted to key 1 and why, the account prefilled from the profile
    journey = await page.text_content("#journey")
    promoted = page.locator("#journey ol.order li.promoted")
    assert (await promoted.first.locator("kbd").text_content()) == "1"
    assert "your bill" in (await promoted.first.text_content()) or "billing" in journey
    assert "★" in (await promoted.first.text_content())
    assert "account number" in journey and "prefilled from profile" in journey
    assert "(keys 100%)" in await page.text_content("#contact")
    # why this agent: the router's reason and ann's level of the skill the service needs
    routing = await page.text_content("#routing")
    assert "billing" in routing and "≥ 5" in routing and "you: 7" in routing
    offered = topics(omnivox, "routing.offered")[0]
    assert offered["agent"] == str(ann) and offered["why"]["why"] in routing

    # the call is up: the agent writes the wrap-up, saved as the voice interaction
    await page.fill("#wu-notes", "Roaming charge refunded; confirmation sent by SMS.")
    await page.fill("#wu-disposition", "payment_arranged")
    await page.fill("#wu-topic", "roaming charge refund")
    await page.click("#wu-save")
    await page.wait_for_selector("#wu-result.ok")
    assert await items.count() == 5
    assert await page.locator("#timeline .tl-item.this-call").count() == 2
    assert "payment_arranged" in await items.first.text_content()
    profile = await channels.call("GET", f"/api/customers/{customer}")
    newest = profile["timeline"]["items"][0]
    assert (newest["channel"], newest["topic"], newest["agent"]["id"]) == (
        "voice",
        "roaming charge refund",
        ann,
    )
    assert newest["data"]["disposition"] == "payment_arranged"
    assert newest["summary"] == "Roaming charge refunded; confirmation sent by SMS."
    assert newest["journey"]["id"] == offered["journey_id"]

    shot = SCREENSHOT if UPDATE_SCREENSHOT else tmp_path / "desktop.png"
    await page.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert errors == []


async def test_a_callback_asked_for_in_the_ivr_pops_as_a_callback_then_rings_the_customer(
    omnivox: OmnivoxServer,
    asterisk: AsteriskService,
    ami: AMIClient,
    browser: Any,
    channels: Channels,
) -> None:
    assert omnivox.store is not None
    asterisk.set_global("OMNIVOX_CALLBACK_PREFIX", "Local/")
    asterisk.set_global("OMNIVOX_CALLBACK_SUFFIX", "@callback-sim")
    await cross_channel_customer(channels, omnivox.store, omnivox.clock())
    await seat(omnivox, "ann", "Local/1001@agent-sim")
    page, errors = await sign_in(browser, omnivox, "ann")  # not ready yet: offline
    assert await page.is_hidden("#watch-form")  # an agent watches no one else

    customer_answered = ami.expect("UserEvent", user_event("CallbackSimAnswered"))
    hung_up = ivr_half_hangup(ami)
    await place_call(ami, CALL_ME_BACK, PHONE)
    queued = await until(lambda: topics(omnivox, "routing.queued"))
    assert queued[0]["media"] == "callback"
    await asyncio.wait_for(hung_up, 30)  # the IVR said it will call back and hung up
    await journey_stored(omnivox.store, int(queued[0]["journey_id"]))
    assert await page.is_hidden("#pop")

    await page.click("#btn-ready")  # an agent is free: the callback is theirs
    await page.wait_for_selector("#pop-kind:has-text('Callback')", timeout=30_000)
    callout = await page.text_content("#contact .callout")
    assert callout == "Callback: asked for a callback in the IVR (billing)"
    assert "Ann Smith" in await page.text_content("#customer-name")
    assert "prefilled from profile" in await page.text_content("#journey")
    reached = await asyncio.wait_for(customer_answered, 30)
    assert reached["Number"] == PHONE.lstrip("+")
    assert errors == []


async def test_the_state_badge_says_on_call_while_the_agent_talks(
    omnivox: OmnivoxServer, ami: AMIClient, browser: Any, channels: Channels
) -> None:
    assert omnivox.store is not None
    await cross_channel_customer(channels, omnivox.store, omnivox.clock())
    await seat(omnivox, "ann", "Local/1001@agent-sim")
    page, _ = await sign_in(browser, omnivox, "ann")
    await page.click("#btn-ready")
    await page.wait_for_selector("#state[data-state=ready]")
    answered = ami.expect("UserEvent", user_event("AgentSimAnswered"))
    await place_call(ami, KEEP_WAITING, PHONE)
    await asyncio.wait_for(answered, 60)
    await until(lambda: topics(omnivox, "routing.answered"))
    await page.wait_for_selector("#state[data-state=on_call]", timeout=5_000)


async def test_the_pop_has_the_priority_the_scenario_gave(
    omnivox: OmnivoxServer, ami: AMIClient, channels: Channels
) -> None:
    assert omnivox.store is not None and omnivox.router is not None
    await cross_channel_customer(channels, omnivox.store, omnivox.clock())
    ann = await seat(omnivox, "ann", "Local/1001@agent-sim")
    await omnivox.router.set_state(ann, "ready")
    await place_call(ami, KEEP_WAITING, PHONE)
    offered = await until(lambda: topics(omnivox, "routing.offered"))
    assert offered[0]["facts"]["priority"] == 5  # billing_queue in scenarios/telecom.yaml
