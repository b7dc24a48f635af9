"""Real calls: Asterisk 22 runs the project's dialplan, Omnivox answers over FastAGI.

The caller's half of each ``Local/`` channel runs the ``caller-sim`` dialplan (waits and
``SendDTMF``); the test watches AMI and then reads the store as the server wrote it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from customers.store import CustomerStore
from ivr.fastagi import AGIChannel, FastAGIServer
from omnivox.config import AMISettings, Bind, Settings
from omnivox.server import OmnivoxServer
from routing.ami import AMIClient, AMIMessage
from tests.fixtures.asterisk import AsteriskService
from tests.ivr_helpers import ACCOUNT, OPEN, billing_heavy_customer, running_clock

pytestmark = pytest.mark.asterisk
ROOT = Path(__file__).resolve().parent.parent
CALLER = "+14155550123"


@pytest.fixture
async def omnivox(asterisk: AsteriskService, tmp_path: Path) -> AsyncIterator[OmnivoxServer]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'omnivox.db'}",
        ami=AMISettings(
            asterisk.ami_host, asterisk.ami_port, asterisk.ami_user, asterisk.ami_secret
        ),
        fastagi_bind=Bind("127.0.0.1", 0),
        http_bind=Bind("127.0.0.1", 0),
        scenarios=ROOT / "scenarios",
        sounds=asterisk.sounds_dir,
        sound_prefix="omnivox",
    )
    async with OmnivoxServer(settings, clock=running_clock(OPEN)) as server:
        assert server.fastagi is not None
        asterisk.point_agi("127.0.0.1", server.fastagi.port)
        yield server


@pytest.fixture
async def ami(asterisk: AsteriskService) -> AsyncIterator[AMIClient]:
    client = AMIClient(asterisk.ami_host, asterisk.ami_port, asterisk.ami_user, asterisk.ami_secret)
    await client.connect()
    yield client
    await client.close()


def store_of(server: OmnivoxServer) -> CustomerStore:
    assert server.store is not None
    return server.store


def user_event(name: str, call_id: str) -> object:
    return lambda e: e.get("UserEvent") == name and e.get("Linkedid") == call_id


async def place_call(ami: AMIClient, script: str, caller: str = CALLER) -> str:
    """Originate a caller into the IVR; returns the call's id (its Linkedid on AMI)."""
    call_id = f"real-{uuid.uuid4().hex[:12]}"
    await ami.originate(
        "Local/s@omnivox-ivr",
        context="caller-sim",
        exten="s",
        caller_id=f'"Real Caller" <{caller}>',
        variables={"__OMNIVOX_SCENARIO": "telecom", "SIM_SCRIPT": script},
        channel_id=call_id,
    )
    return call_id


def ivr_half_hangup(ami: AMIClient) -> asyncio.Future[AMIMessage]:
    """The next Hangup of an IVR half (``Local/s@omnivox-ivr-...;1``); ask before originating."""
    return ami.expect(
        "Hangup", lambda e: "omnivox-ivr" in e.get("Channel", "") and e["Channel"].endswith(";1")
    )


async def test_one_real_call_menu_digits_journey_and_hangup_cause(
    omnivox: OmnivoxServer, ami: AMIClient
) -> None:
    """Billing by its static key 6, the account typed, a text-message link chosen (key 1):
    the scenario ends the call, the dialplan hangs up with the cause Omnivox set."""
    result = ami.expect("UserEvent", lambda e: e.get("UserEvent") == "OmnivoxResult")
    hangup = ivr_half_hangup(ami)
    call_id = await place_call(ami, "w:2^d:6^w:3^d:55556666#^w:4^d:1^w:30^h")
    outcome = await asyncio.wait_for(result, 60)
    ended = await asyncio.wait_for(hangup, 30)

    assert outcome.get("Linkedid") == call_id and ended.get("Linkedid") == call_id
    assert (outcome["Status"], outcome["Action"], outcome["AGIStatus"]) == (
        "OK",
        "hangup",
        "SUCCESS",
    )
    assert ended["Cause"] == "16"

    store = store_of(omnivox)
    journey = await store.get_journey(outcome["Uniqueid"])
    assert journey is not None, "the journey is stored under the channel's uniqueid"
    assert (journey.status, journey.stopped_at) == ("completed", "sms_sent")
    assert journey.caller == CALLER
    assert journey.inputs["account_number"] == {"value": "55556666", "source": "voice"}
    pressed = [(s["node"], s["input"]) for s in journey.path if s["input"] is not None]
    assert pressed == [("main_menu", "6"), ("identify", "55556666"), ("billing_offer", "1")]
    customer = await store.find_by_identity("phone", CALLER)
    assert customer is not None and journey.customer_id == customer.id
    page = await store.timeline(customer.id)
    assert [(i.channel, i.intent, i.outcome) for i in page.items] == [
        ("voice", "billing", "resolved")
    ]


async def result_of(ami: AMIClient, script: str, caller: str) -> tuple[str, AMIMessage]:
    """Place a call and wait for the IVR's OmnivoxResult; returns (call id, event)."""
    result = ami.expect("UserEvent", lambda e: e.get("UserEvent") == "OmnivoxResult")
    call_id = await place_call(ami, script, caller)
    outcome = await asyncio.wait_for(result, 60)
    assert outcome.get("Linkedid") == call_id
    await ami.hangup(outcome["Channel"])
    return call_id, outcome


async def test_same_scenario_billing_heavy_caller_hears_billing_on_1_unknown_caller_static(
    omnivox: OmnivoxServer, ami: AMIClient
) -> None:
    store = store_of(omnivox)
    known = await billing_heavy_customer(store, CALLER, OPEN, account=ACCOUNT)

    # Both press 1 during the greeting; for one it means billing, for the other internet.
    _, heavy = await result_of(ami, "w:2^d:1^w:2^d:1^w:40^h", CALLER)
    _, stranger = await result_of(ami, "w:2^d:1^w:3^d:55556666#^w:40^h", "+14155550177")

    assert (heavy["Action"], heavy["Queue"]) == ("queue", "billing")
    assert (stranger["Action"], stranger["Queue"]) == ("queue", "internet_support")
    mine = await store.get_journey(heavy["Uniqueid"])
    theirs = await store.get_journey(stranger["Uniqueid"])
    assert mine is not None and theirs is not None
    assert mine.customer_id == known
    order = [(o["key"], o["intent"]) for o in mine.menus[0]["order"]]
    assert order[0] == ("1", "billing") and mine.menus[0]["promoted"] == ["billing"]
    static = [(o["key"], o["intent"]) for o in theirs.menus[0]["order"]]
    assert static[0] == ("1", "internet_support") and ("6", "billing") in static
    assert theirs.menus[0]["promoted"] == []

    # The known account was confirmed with one key, never typed.
    assert mine.inputs["account_number"] == {"value": ACCOUNT, "source": "profile"}
    assert [(s["node"], s["input"]) for s in mine.path if s["input"]] == [
        ("main_menu", "1"),
        ("identify", "1"),
    ]
    assert theirs.inputs["account_number"] == {"value": "55556666", "source": "voice"}


async def test_hangup_mid_menu_is_recorded_as_abandoned(
    omnivox: OmnivoxServer, ami: AMIClient
) -> None:
    store = store_of(omnivox)
    customer_id = await billing_heavy_customer(store, CALLER, OPEN)
    hangup = ivr_half_hangup(ami)
    await place_call(ami, "w:4^h", CALLER)  # hangs up while the menu is read
    await asyncio.wait_for(hangup, 30)

    async with asyncio.timeout(10):
        while True:  # the server closes the journey as soon as AGI reports the hang-up
            journey = await store.latest_journey(customer_id)
            if journey is not None and journey.status != "in_progress":
                break
            await asyncio.sleep(0.1)
    assert (journey.status, journey.stopped_at) == ("abandoned", "main_menu")
    assert journey.path[-1]["detail"]["result"] == "caller_hangup"
    assert journey.ended_at is not None
    latest = (await store.timeline(customer_id, limit=1)).items[0]
    assert (latest.channel, latest.outcome, latest.open) == ("voice", "abandoned", True)
    assert latest.journey_id == journey.id
    assert omnivox.fastagi is not None and omnivox.fastagi.active_calls == 0


async def test_a_failing_handler_leaves_the_caller_in_the_fallback_not_in_silence(
    asterisk: AsteriskService, ami: AMIClient
) -> None:
    async def broken(channel: AGIChannel) -> None:
        await channel.answer()
        raise RuntimeError("a bug in a handler")

    async with FastAGIServer(broken, "127.0.0.1", 0) as server:
        asterisk.point_agi("127.0.0.1", server.port)
        fallback = ami.expect("UserEvent", lambda e: e.get("UserEvent") == "OmnivoxFallback")
        hangup = ivr_half_hangup(ami)
        call_id = await place_call(ami, "w:20^h")
        event = await asyncio.wait_for(fallback, 20)
        ended = await asyncio.wait_for(hangup, 30)
        assert server.stats.failures == 1
    assert event.get("Linkedid") == call_id
    assert event["Reason"] == "agi SUCCESS status FAILED"
    assert ended["Cause"] == "41"
