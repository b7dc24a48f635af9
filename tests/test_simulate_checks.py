"""Judging calls: menu expectations and outcome expectations against journeys the real
(pure) scenario engine produced, and transfer variables as the IVR sets them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from customers.records import JourneyRecord
from ivr.personalize import HistoryItem
from ivr.scenario import (
    Call,
    CallContext,
    Collect,
    CustomerView,
    Digits,
    NoInput,
    PromptDone,
    Scenario,
    load_valid,
)
from ivr.scenario.actions import TERMINAL
from ivr.scenario.source import Pos
from omnivox.simulate import model as m
from omnivox.simulate.caller import StepResult
from omnivox.simulate.checks import judge_menus, judge_outcome

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)
POS = Pos(7, 9)


@pytest.fixture(scope="module")
def telecom() -> Scenario:
    return load_valid(ROOT / "scenarios" / "telecom.yaml")


def journey_of(scenario: Scenario, context: CallContext, keys: Sequence[str]) -> JourneyRecord:
    """Run the engine with ``keys`` answering its questions ("" is silence)."""
    call = Call(scenario, context)
    answers = list(keys)
    action = call.start(NOW)
    while not isinstance(action, TERMINAL):
        if isinstance(action, Collect):
            key = answers.pop(0) if answers else ""
            action = call.feed(Digits(key) if key else NoInput(), NOW)
        else:
            action = call.feed(PromptDone(), NOW)
    return JourneyRecord(
        id=1,
        call_id="c1",
        scenario=scenario.name,
        scenario_version=scenario.version,
        customer_id=None,
        caller=None,
        started_at=NOW,
        ended_at=NOW,
        resume_token=None,
        **{k: v for k, v in call.journey.to_record().items()},
    )


def billing_regular(known: dict[str, str] | None = None) -> CallContext:
    history = [
        HistoryItem("billing", channel, "in", NOW - timedelta(days=d))
        for d, channel in ((2, "voice"), (9, "email"), (20, "chat"))
    ]
    return CallContext(now=NOW, customer=CustomerView(id=7), history=history, known=known or {})


@pytest.fixture
def regular(telecom: Scenario) -> JourneyRecord:
    # billing on 1, the account on file confirmed, keep waiting at the offer
    return journey_of(telecom, billing_regular({"account_number": "12344321"}), ["1", "1", "3"])


def judged(expectations: dict[str, object], journey: JourneyRecord | None, variables=None):  # type: ignore[no-untyped-def]
    exp = [m.Expectation(k, v, POS) for k, v in expectations.items()]
    return [
        (c.name, c.passed, c.expected, c.got) for c in judge_outcome(exp, journey, variables or {})
    ]


def test_outcome_expectations_that_hold(regular: JourneyRecord) -> None:
    variables = {"OMNIVOX_SKILLS": "billing", "OMNIVOX_PRIORITY": "5"}
    got = judged(
        {
            "status": "transferred",
            "service": "billing",
            "skills": ["billing"],
            "priority": 5,
            "intent": "billing",
            "stopped_at": "billing_queue",
            "promoted": ["billing"],
            "channel_switch": None,
            "resumed": False,
            "pressed": ["main_menu:1", "identify:1", "billing_offer:3"],
            "collected": {"account_number": {"value": "12344321", "source": "profile"}},
        },
        regular,
        variables,
    )
    assert all(ok for _, ok, _, _ in got), got
    assert (
        "collected account_number",
        True,
        "12344321 from profile",
        "12344321 from profile",
    ) in got


def test_outcome_expectations_that_fail_say_expected_and_got(regular: JourneyRecord) -> None:
    got = judged(
        {
            "status": "abandoned",
            "service": "general",
            "skills": ["billing", "lang_ru"],
            "priority": 8,
            "promoted": [],
            "resumed_at": "identify",
            "collected": {"account_number": {"source": "voice"}, "channel_switch": "sms_link"},
            "agent": "dana",
            "screen_pop": {"account_number": "12344321"},
        },
        regular,
        {"OMNIVOX_SKILLS": "billing", "OMNIVOX_PRIORITY": "5"},
    )
    assert got == [
        ("status", False, "abandoned", "transferred"),
        ("service", False, "general", "billing"),
        ("skills", False, "[billing, lang_ru]", "[billing]"),
        ("priority", False, "8", "5"),
        ("promoted", False, "[]", "[billing]"),
        ("resumed_at", False, "identify", "none"),
        ("collected account_number", False, "any value from voice", "12344321 from profile"),
        ("collected channel_switch", False, "sms_link", "not collected"),
        ("agent", True, "dana", "not checked: no agents here"),  # skipped, and says so
        ("screen_pop", True, "{'account_number': '12344321'}", "not checked: no agents here"),
    ]


def test_a_channel_switch_and_a_typed_account(telecom: Scenario) -> None:
    stranger = CallContext(now=NOW)
    journey = journey_of(telecom, stranger, ["6", "55556666", "1"])
    got = judged(
        {
            "status": "completed",
            "service": None,
            "channel_switch": "sms_link",
            "collected": {"account_number": "55556666", "channel_switch": {"value": "sms_link"}},
            "skills": ["billing"],
        },
        journey,
    )
    assert got[:5] == [
        ("status", True, "completed", "completed"),
        ("service", True, "none", "none"),
        ("channel_switch", True, "sms_link", "sms_link"),
        ("collected account_number", True, "55556666", "55556666 from voice"),
        ("collected channel_switch", True, "sms_link", "sms_link from voice"),
    ]
    assert got[5] == ("skills", False, "[billing]", "no transfer (the variable was not set)")


def test_without_a_journey_every_journey_fact_fails() -> None:
    got = judged({"status": "transferred", "collected": {"account_number": None}}, None)
    assert got == [
        ("status", False, "transferred", "no journey was stored"),
        ("collected account_number", False, "none", "no journey was stored"),
    ]


def checks(*steps: m.ExpectMenu) -> list[StepResult]:
    return [StepResult(s, i + 1, "check") for i, s in enumerate(steps)]


def test_menu_expectations_follow_the_menus_heard(
    telecom: Scenario, regular: JourneyRecord
) -> None:
    results = checks(
        m.ExpectMenu(order=("billing", "internet_support")),
        m.ExpectMenu(keys={"1": "billing", "0": "general"}, promoted=("billing",)),
    )
    judge_menus(results, regular)
    assert [r.status for r in results] == ["passed", "failed"]
    assert results[0].detail.startswith("main_menu: 1=billing, 2=internet_support, 3=tv_support")
    assert results[0].detail.endswith("*=* (moved up: billing)")
    assert results[1].detail.startswith("no further menu heard (menus: main_menu: 1=billing")

    wrong = checks(
        m.ExpectMenu(
            node="main_menu",
            order=("billing", "tv_support"),
            exact=False,
            keys={"6": "billing"},
            promoted=(),
        )
    )
    judge_menus(wrong, regular)
    assert wrong[0].status == "failed"
    assert wrong[0].detail.startswith(
        "expected first [billing, tv_support]; expected key 6 = billing, got retention;"
        " expected moved up []; got main_menu: 1=billing"
    )

    static = journey_of(telecom, CallContext(now=NOW), ["", "", ""])  # silence to the end
    exact = checks(
        m.ExpectMenu(
            order=(
                "internet_support",
                "tv_support",
                "sales",
                "moving",
                "retention",
                "billing",
                "general",
                "*",
            ),
            exact=True,
            promoted=(),
        ),
        m.ExpectMenu(order=("internet_support",), exact=True),
    )
    judge_menus(exact, static)
    assert [r.status for r in exact] == ["passed", "failed"]
    assert exact[1].detail.startswith("no further menu heard")
    assert exact[0].detail.startswith("main_menu: 1=internet_support")


def test_menu_expectations_without_a_journey_fail() -> None:
    results = checks(m.ExpectMenu(order=("billing",)))
    judge_menus(results, None)
    assert (results[0].status, results[0].detail) == ("failed", "no menu heard (menus: none)")
