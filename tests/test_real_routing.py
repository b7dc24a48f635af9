"""Routing through a real Asterisk 22: the IVR hands the caller over, the router picks the
agent, AMI Redirect connects them, Dial rings the agent (stand-in agents of ``agent-sim``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from omnivox.auth import hash_password
from omnivox.config import AMISettings, Bind, Settings
from omnivox.server import OmnivoxServer
from routing.ami import AMIClient
from tests.fixtures.asterisk import AsteriskService
from tests.ivr_helpers import ACCOUNT, OPEN, billing_heavy_customer, running_clock
from tests.test_real_call import place_call

pytestmark = pytest.mark.asterisk
ROOT = Path(__file__).resolve().parent.parent
TO_BILLING = "w:2^d:6^w:2^d:55556666#^w:1^d:3^w:60^h"  # billing, account, "keep waiting"


QUICK_ROUTING = """
services:
  billing:
    requires: {billing: 5}
    wrap_up_s: 1
    affinity_window_s: 3600
    relax:
      - {after_s: 6, set: {billing: 3}}
  general:
    requires: {general: 1}
"""


@pytest.fixture
def routing_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The shipped routing config, or (marker ``quick_routing``) one with short timings."""
    if request.node.get_closest_marker("quick_routing") is None:
        return ROOT / "config" / "routing.yaml"
    path = tmp_path / "routing.yaml"
    path.write_text(QUICK_ROUTING)
    return path


@pytest.fixture
async def omnivox(
    asterisk: AsteriskService, tmp_path: Path, routing_file: Path
) -> AsyncIterator[OmnivoxServer]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'omnivox.db'}",
        ami=AMISettings(
            asterisk.ami_host, asterisk.ami_port, asterisk.ami_user, asterisk.ami_secret
        ),
        fastagi_bind=Bind("127.0.0.1", 0),
        http_bind=Bind("127.0.0.1", 0),
        scenarios=ROOT / "scenarios",
        sounds=asterisk.sounds_dir,
        routing=routing_file,
    )
    async with OmnivoxServer(settings, clock=running_clock(OPEN)) as server:
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


class Api:
    """The HTTP API as a signed-in admin would use it."""

    def __init__(self, http: aiohttp.ClientSession, port: int, server: OmnivoxServer) -> None:
        self.http, self.base, self.server = http, f"http://127.0.0.1:{port}", server
        self.headers: dict[str, str] = {}

    async def sign_in_admin(self) -> None:
        assert self.server.store is not None
        await self.server.store.create_agent(
            "boss", "Boss", "PJSIP/1999", role="admin", password_hash=hash_password("s3cret-pass")
        )
        status, body = await self.call(
            "POST", "/auth/login", {"login": "boss", "password": "s3cret-pass"}
        )
        assert status == 200, body
        self.headers = {"Authorization": f"Bearer {body['token']}"}

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.http.request(
            method, self.base + path, json=body, headers=self.headers
        ) as reply:
            return reply.status, await reply.json()

    async def ready_agent(self, login: str, endpoint: str, skills: dict[str, int]) -> str:
        body = {"login": login, "name": login, "endpoint": endpoint, "skills": skills}
        status, agent = await self.call("POST", "/api/agents", body)
        assert status == 201, agent
        status, view = await self.call(
            "PUT", f"/api/agents/{agent['id']}/state", {"state": "ready"}
        )
        assert status == 200 and view["state"] == "ready", view
        return str(agent["id"])


@pytest.fixture
async def api(omnivox: OmnivoxServer) -> AsyncIterator[Api]:
    assert omnivox.http_port is not None
    async with aiohttp.ClientSession() as http:
        client = Api(http, omnivox.http_port, omnivox)
        await client.sign_in_admin()
        yield client


def answered_by_agent(event: Any) -> bool:
    return event.get("DialStatus") == "ANSWER" and "agent-sim" in event.get("DestChannel", "")


async def wait_for_topic(server: OmnivoxServer, topic: str) -> dict[str, Any]:
    """The first ``topic`` event on the server's bus (polled: the bus keeps recent ones)."""
    async with asyncio.timeout(20):
        while not topics(server, topic):  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    return topics(server, topic)[0]


def topics(server: OmnivoxServer, topic: str) -> list[dict[str, Any]]:
    return [payload for name, payload in server.bus.recent if name == topic]


async def test_billing_call_reaches_the_billing_agent(
    omnivox: OmnivoxServer, ami: AMIClient, api: Api
) -> None:
    await api.ready_agent("tv-tom", "Local/1002@agent-sim", {"tv": 9})
    billing = await api.ready_agent("bill-ann", "Local/1001@agent-sim", {"billing": 7})
    connecting = ami.expect("UserEvent", lambda e: e.get("UserEvent") == "OmnivoxConnecting")
    answered = ami.expect("DialEnd", answered_by_agent)
    call_id = await place_call(ami, TO_BILLING, "+14155550123")
    event = await asyncio.wait_for(connecting, 60)
    dial = await asyncio.wait_for(answered, 20)
    assert event.get("Linkedid") == call_id and event["Agent"] == "Local/1001@agent-sim"
    assert dial["Uniqueid"] == event["Uniqueid"]
    await wait_for_topic(omnivox, "routing.answered")
    status, agents = await api.call("GET", "/api/agents")
    states = {a["login"]: a["state"] for a in agents}
    assert states == {"bill-ann": "on_call", "tv-tom": "ready"}
    status, contacts = await api.call("GET", "/api/contacts")
    assert [(c["service"], c["phase"], c["agent_id"]) for c in contacts] == [
        ("billing", "active", billing)
    ]
    offered = topics(omnivox, "routing.offered")
    assert offered[0]["agent"] == billing and offered[0]["why"]["agent_id"] == billing


async def test_an_agent_who_does_not_answer_is_skipped_and_marked_missed(
    omnivox: OmnivoxServer, ami: AMIClient, api: Api
) -> None:
    # The sleepy agent fits billing best (level 6 for a level-5 service), so is tried first.
    sleepy = await api.ready_agent("sleepy", "Local/9001@agent-sim", {"billing": 6})
    await api.ready_agent("expert", "Local/1003@agent-sim", {"billing": 10})
    missed = ami.expect("UserEvent", lambda e: e.get("UserEvent") == "OmnivoxAgentNoAnswer")
    answered = ami.expect("DialEnd", answered_by_agent)
    await place_call(ami, TO_BILLING, "+14155550124")
    no_answer = await asyncio.wait_for(missed, 60)
    dial = await asyncio.wait_for(answered, 30)
    assert no_answer["Agent"] == "Local/9001@agent-sim"
    assert "1003" in dial["DestChannel"]
    await wait_for_topic(omnivox, "routing.answered")  # the router has read the answer too
    status, agents = await api.call("GET", "/api/agents")
    by_login = {a["login"]: a for a in agents}
    assert (by_login["sleepy"]["state"], by_login["sleepy"]["reason"]) == ("not_ready", "missed")
    assert by_login["expert"]["state"] == "on_call"
    status, contacts = await api.call("GET", "/api/contacts")
    assert contacts[0]["rejected_by"] == [sleepy]


async def test_caller_hanging_up_while_waiting_is_abandoned(
    omnivox: OmnivoxServer, ami: AMIClient, api: Api
) -> None:
    waiting = ami.expect("UserEvent", lambda e: e.get("UserEvent") == "OmnivoxWaiting")
    await place_call(ami, "w:2^d:6^w:2^d:55556666#^w:1^d:3^w:4^h", "+14155550125")
    await asyncio.wait_for(waiting, 60)
    gone = await wait_for_topic(omnivox, "routing.abandoned")
    assert gone["service"] == "billing" and gone["phase"] == "waiting" and gone["wait_s"] > 0
    status, contacts = await api.call("GET", "/api/contacts")
    assert contacts == []


@pytest.mark.quick_routing
async def test_with_the_expert_busy_the_call_waits_then_relaxes_to_a_lower_level(
    omnivox: OmnivoxServer, ami: AMIClient, api: Api
) -> None:
    await api.ready_agent("expert", "Local/1001@agent-sim", {"billing": 9})
    junior = await api.ready_agent("junior", "Local/1002@agent-sim", {"billing": 3})
    first = ami.expect("DialEnd", answered_by_agent)
    await place_call(ami, TO_BILLING, "+14155550131")
    assert "1001" in (await asyncio.wait_for(first, 60))["DestChannel"]  # expert busy now

    waiting = ami.expect("UserEvent", lambda e: e.get("UserEvent") == "OmnivoxWaiting")
    second = ami.expect("DialEnd", answered_by_agent)
    await place_call(ami, TO_BILLING, "+14155550132")
    held = await asyncio.wait_for(waiting, 60)
    dial = await asyncio.wait_for(second, 30)
    assert "1002" in dial["DestChannel"]
    offered = [p for p in topics(omnivox, "routing.offered") if p["agent"] == junior]
    assert offered and offered[0]["wait_s"] >= 5  # level 3 only after the 6 s relaxation step
    assert held["Queue"] == "billing"


@pytest.mark.quick_routing
async def test_the_same_customer_calling_again_reaches_the_agent_who_served_them(
    omnivox: OmnivoxServer, ami: AMIClient, api: Api
) -> None:
    assert omnivox.store is not None
    await billing_heavy_customer(omnivox.store, "+14155550141", OPEN, account=ACCOUNT)
    regular = "w:2^d:1^w:2^d:1^w:1^d:3^w:60^h"  # billing is key 1 for them; account confirmed
    ann = await api.ready_agent("ann", "Local/1001@agent-sim", {"billing": 6})
    first = ami.expect("DialEnd", answered_by_agent)
    await place_call(ami, regular, "+14155550141")
    assert "1001" in (await asyncio.wait_for(first, 60))["DestChannel"]
    # Bob logs in while Ann talks: when the customer calls back, Bob has been idle longer.
    bob = await api.ready_agent("bob", "Local/1002@agent-sim", {"billing": 6})
    for call in topics(omnivox, "routing.offered"):
        await ami.hangup(call["facts"]["channel"])
    await wait_for_topic(omnivox, "routing.ended")
    async with asyncio.timeout(10):  # Ann's 1 s wrap-up
        while (await api.call("GET", "/api/agents"))[1][0]["state"] != "ready":  # noqa: ASYNC110
            await asyncio.sleep(0.2)

    again = ami.expect("DialEnd", answered_by_agent)
    await place_call(ami, regular, "+14155550141")
    dial = await asyncio.wait_for(again, 60)
    assert "1001" in dial["DestChannel"]
    last = topics(omnivox, "routing.offered")[-1]
    assert last["agent"] == ann and last["agent"] != bob
    assert "affinity" in str(last["why"]).lower()
