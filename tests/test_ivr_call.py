"""The IVR adapter over a real FastAGI socket (a scripted Asterisk), on SQLite and PostgreSQL:
recognition, personalised menus, prefill, transfers, hang-ups and what reaches the store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from customers.store import CustomerStore
from ivr.call import IvrHandler
from ivr.fastagi import FastAGIServer
from ivr.fastagi.client import FakeCall, presses_on_hearing, run_call
from ivr.prompts import PromptRenderer
from ivr.scenario import ScenarioSet
from tests.ivr_helpers import ACCOUNT, OPEN, billing_heavy_customer, running_clock

ROOT = Path(__file__).resolve().parent.parent
CALLER = "+14155550123"


@pytest.fixture(scope="module")
def sound_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sounds")  # shared: each prompt is synthesized once


@pytest.fixture
def renderer(sound_dir: Path) -> Iterator[PromptRenderer]:
    r = PromptRenderer(sound_dir)
    yield r
    r.close()


@pytest.fixture
def published() -> list[tuple[str, dict[str, Any]]]:
    return []


@pytest.fixture
async def ivr(
    store: CustomerStore, renderer: PromptRenderer, published: list[tuple[str, dict[str, Any]]]
) -> AsyncIterator[FastAGIServer]:
    scenarios, problems = ScenarioSet.load_dir(ROOT / "scenarios")
    assert problems == []

    async def publish(topic: str, payload: Any) -> None:
        published.append((topic, dict(payload)))

    handler = IvrHandler(scenarios, store, renderer, publish=publish, clock=running_clock())
    async with FastAGIServer(handler, "127.0.0.1", 0, command_timeout=5) as server:
        yield server


def played(call: FakeCall) -> list[str]:
    return [c.args[0] for c in call.commands if c.name == "STREAM FILE"]


async def test_unknown_caller_static_menu_billing_on_6_then_queue(
    ivr: FastAGIServer, store: CustomerStore, published: list[tuple[str, dict[str, Any]]]
) -> None:
    call = await run_call(
        "127.0.0.1",
        ivr.port,
        script="telecom",
        callerid=CALLER,
        digits="55556666#.",
        responder=presses_on_hearing("6"),
    )
    assert call.variables["OMNIVOX_STATUS"] == "OK"
    assert call.variables["OMNIVOX_ACTION"] == "queue"
    assert call.variables["OMNIVOX_QUEUE"] == "billing"
    assert call.variables["OMNIVOX_INTENT"] == "billing"
    assert all(name.startswith("omnivox/") for name in played(call))
    assert "SAY DIGITS" in call.names  # the menu keys are spoken with Asterisk's digits

    journey = await store.get_journey(call.env["agi_uniqueid"])
    assert journey is not None and journey.status == "transferred"
    assert journey.service == "billing" and journey.caller == CALLER
    assert journey.ended_at is not None
    assert journey.menus[0]["promoted"] == []
    assert journey.inputs["account_number"] == {"value": "55556666", "source": "voice"}

    # The first call created the caller's profile and kept what they typed.
    customer = await store.find_by_identity("phone", CALLER)
    assert customer is not None and journey.customer_id == customer.id
    assert (await store.profile_data(customer.id))["account_number"].value == "55556666"
    page = await store.timeline(customer.id)
    assert [(i.channel, i.intent, i.outcome, i.journey_id) for i in page.items] == [
        ("voice", "billing", "transferred", journey.id)
    ]
    assert published[-1][0] == "ivr.transfer"
    assert published[-1][1]["service"] == "billing"
    assert published[-1][1]["journey_id"] == journey.id
    assert published[-1][1]["customer_id"] == customer.id  # the profile made for this caller


async def test_billing_heavy_caller_gets_billing_on_key_1_and_is_not_asked_the_account(
    ivr: FastAGIServer, store: CustomerStore
) -> None:
    customer_id = await billing_heavy_customer(store, CALLER, OPEN, account=ACCOUNT)
    # 1: billing (promoted to key 1); 1: yes, that account; silence at the offer: keep waiting
    call = await run_call(
        "127.0.0.1",
        ivr.port,
        script="telecom",
        callerid="(415) 555-0123",
        digits="1.",
        responder=presses_on_hearing("1"),
    )
    assert call.variables["OMNIVOX_QUEUE"] == "billing"
    assert call.variables["OMNIVOX_CUSTOMER"] == str(customer_id)
    spoken = [c.args[0] for c in call.commands if c.name == "SAY DIGITS"]
    assert spoken == ["1"]  # the caller pressed as soon as the first option's key was said
    journey = await store.get_journey(call.env["agi_uniqueid"])
    assert journey is not None and journey.customer_id == customer_id
    assert journey.menus[0]["promoted"] == ["billing"]
    assert "billing" in journey.menus[0]["reasons"]
    assert journey.inputs["account_number"]["source"] == "profile"
    assert not any(step["detail"].get("result") == "collected" for step in journey.path)
    confirmed = [s for s in journey.path if s["detail"].get("prefill") == "confirmed"]
    assert [s["node"] for s in confirmed] == ["identify"]


async def test_hangup_mid_menu_is_abandoned_with_the_path_so_far(
    ivr: FastAGIServer, store: CustomerStore
) -> None:
    call = await run_call(
        "127.0.0.1", ivr.port, script="telecom", callerid=CALLER, hangup_at="WAIT FOR DIGIT"
    )
    assert call.hung_up
    journey = await store.get_journey(call.env["agi_uniqueid"])
    assert journey is not None
    assert (journey.status, journey.stopped_at) == ("abandoned", "main_menu")
    assert journey.path[-1]["detail"]["result"] == "caller_hangup"
    customer = await store.find_by_identity("phone", CALLER)
    assert customer is not None
    page = await store.timeline(customer.id)
    assert [(i.outcome, i.open) for i in page.items] == [("abandoned", True)]


async def test_repeat_call_resumes_where_the_first_stopped_and_only_once(
    ivr: FastAGIServer, store: CustomerStore
) -> None:
    await billing_heavy_customer(store, CALLER, OPEN)
    # Billing (key 1), then the caller hangs up while the account number is asked.
    first = await run_call(
        "127.0.0.1",
        ivr.port,
        script="telecom",
        callerid=CALLER,
        digits="1",
        hangup_at="WAIT FOR DIGIT",
    )
    stopped = await store.get_journey(first.env["agi_uniqueid"])
    assert stopped is not None and (stopped.status, stopped.stopped_at) == ("abandoned", "identify")

    # Calling back: straight to the account question, no menu.
    second = await run_call(
        "127.0.0.1", ivr.port, script="telecom", callerid=CALLER, digits="55556666#."
    )
    assert second.variables["OMNIVOX_QUEUE"] == "billing"
    resumed = await store.get_journey(second.env["agi_uniqueid"])
    assert resumed is not None and resumed.status == "transferred"
    assert resumed.path[0]["detail"]["result"] == "resume"
    assert resumed.path[0]["node"] == "identify"
    assert resumed.menus == []  # the menu was not played again

    # The matter was handed to an agent: a third call starts from the top.
    third = await run_call(
        "127.0.0.1", ivr.port, script="telecom", callerid=CALLER, hangup_at="WAIT FOR DIGIT"
    )
    fresh = await store.get_journey(third.env["agi_uniqueid"])
    assert fresh is not None and fresh.path[0]["detail"].get("result") != "resume"
    assert fresh.stopped_at == "main_menu"


async def test_unknown_scenario_takes_the_dialplan_fallback(
    ivr: FastAGIServer, store: CustomerStore
) -> None:
    call = await run_call("127.0.0.1", ivr.port, script="no-such-flow", callerid=CALLER)
    assert call.variables["OMNIVOX_STATUS"] == "FAILED"
    assert await store.get_journey(call.env["agi_uniqueid"]) is None


async def test_a_key_pressed_during_the_greeting_answers_the_menu(
    ivr: FastAGIServer, store: CustomerStore
) -> None:
    call = await run_call("127.0.0.1", ivr.port, script="telecom", callerid=CALLER, digits="0")
    assert call.variables["OMNIVOX_QUEUE"] == "general"
    assert "SAY DIGITS" not in call.names  # the menu options were never read out
    journey = await store.get_journey(call.env["agi_uniqueid"])
    assert journey is not None
    assert [s["detail"]["result"] for s in journey.path if s["node"] == "main_menu"] == [
        "entered",
        "option",
    ]


async def test_anonymous_caller_is_served_without_a_profile(
    ivr: FastAGIServer, store: CustomerStore
) -> None:
    call = await run_call("127.0.0.1", ivr.port, script="telecom", callerid="anonymous", digits="0")
    assert call.variables["OMNIVOX_QUEUE"] == "general"
    journey = await store.get_journey(call.env["agi_uniqueid"])
    assert journey is not None and journey.customer_id is None
    assert journey.status == "transferred"


async def test_a_hangup_at_any_command_leaves_a_closed_journey_and_nothing_running(
    ivr: FastAGIServer, store: CustomerStore
) -> None:
    """Every point of a full call (menu, account, offer, hold prompt), one hang-up each."""
    script = {"script": "telecom", "callerid": CALLER, "digits": "655556666#3"}
    whole = await run_call("127.0.0.1", ivr.port, **script)
    assert whole.variables["OMNIVOX_QUEUE"] == "billing"
    last_media = max(
        i for i, c in enumerate(whole.commands) if c.name in ("STREAM FILE", "WAIT FOR DIGIT")
    )
    tasks_before = len(asyncio.all_tasks())
    for point in range(last_media + 1):
        call = await run_call("127.0.0.1", ivr.port, **script, hangup_at=point)
        journey = await store.get_journey(call.env["agi_uniqueid"])
        assert journey is not None, point
        assert journey.status == "abandoned", (point, journey.status)
        assert journey.ended_at is not None and journey.stopped_at, point
        assert journey.path[-1]["detail"]["result"] == "caller_hangup", point
    assert ivr.active_calls == 0
    assert len(asyncio.all_tasks()) <= tasks_before
    customer = await store.find_by_identity("phone", CALLER)
    assert customer is not None
    outcomes = [i.outcome for i in (await store.timeline(customer.id, limit=500)).items]
    assert outcomes.count("abandoned") == last_media + 1 and outcomes.count("transferred") == 1


async def test_a_journey_left_open_by_a_crash_resumes_on_the_next_call(
    ivr: FastAGIServer, store: CustomerStore
) -> None:
    customer_id = await billing_heavy_customer(store, CALLER, OPEN)
    # What a server that died mid-call leaves behind: in progress, stopped at the account step.
    cut = await store.start_journey(
        "crashed-1", "telecom", customer_id=customer_id, caller=CALLER, started_at=OPEN
    )
    await store.update_journey(
        cut, stopped_at="identify", intent="billing", inputs={"_return_stack": ["billing_offer"]}
    )
    call = await run_call(
        "127.0.0.1", ivr.port, script="telecom", callerid=CALLER, digits="55556666#."
    )
    journey = await store.get_journey(call.env["agi_uniqueid"])
    assert journey is not None and journey.status == "transferred"
    assert (journey.path[0]["node"], journey.path[0]["detail"]["result"]) == ("identify", "resume")
    assert call.variables["OMNIVOX_QUEUE"] == "billing"


async def test_a_callback_is_told_once_the_ivr_call_is_over_and_stored(
    store: CustomerStore, renderer: PromptRenderer
) -> None:
    """The router may ring an agent the moment it hears of a callback: it hears of it only
    when the caller has heard the goodbye and the journey is stored."""
    scenarios, _ = ScenarioSet.load_dir(ROOT / "scenarios")
    customer_id = await billing_heavy_customer(store, CALLER, OPEN, account=ACCOUNT)
    told: list[tuple[dict[str, Any], str | None, int]] = []
    sent: list[str] = []  # the AGI commands of the call, in order

    async def publish(topic: str, payload: Any) -> None:
        if topic == "ivr.channel_switch":
            journey = await store.get_journey(payload["call_id"])
            told.append((dict(payload), journey.status if journey else None, len(sent)))

    handler = IvrHandler(scenarios, store, renderer, publish=publish, clock=running_clock())

    async def recording(channel: Any) -> None:
        real = channel.command

        async def command(name: str, *args: Any, **kwargs: Any) -> Any:
            sent.append(" ".join([name, *map(str, args)]))
            return await real(name, *args, **kwargs)

        channel.command = command
        await handler(channel)

    async with FastAGIServer(recording, "127.0.0.1", 0, command_timeout=5) as server:
        # 1: billing (key 1 for this caller); 1: yes, that account; 2: call me back
        call = await run_call(
            "127.0.0.1",
            server.port,
            script="telecom",
            callerid=CALLER,
            digits="12",
            responder=presses_on_hearing("1"),
        )
    assert [(p["kind"], status) for p, status, _ in told] == [("callback", "completed")]
    payload, _, commands_before = told[0]
    assert payload["customer_id"] == customer_id and payload["intent"] == "billing"
    assert payload["caller"] == CALLER and payload["call_id"] == call.env["agi_uniqueid"]
    # nothing after it but the server's closing status: the goodbye had been played
    assert sent[commands_before:] == ["SET VARIABLE OMNIVOX_STATUS OK"], sent
