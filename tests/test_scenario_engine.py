"""Walking calls through scenarios: menus, personalisation, prefill, retries, conditions,
sub-flows, resume, channel switches, hang-ups and a property test over random input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.personalize import HistoryItem
from ivr.scenario.actions import (
    ChannelSwitch,
    Collect,
    Digits,
    Done,
    Event,
    Hangup,
    NoInput,
    Play,
    PromptDone,
    SpeechResult,
    Transfer,
)
from ivr.scenario.context import CallContext, CustomerView, ResumePoint
from ivr.scenario.engine import Call
from ivr.scenario.text import DigitsPart, FilePart, TextPart
from ivr.scenario.validate import load_valid
from tests.scenario_helpers import write

ROOT = Path(__file__).resolve().parent.parent
TELECOM = load_valid(ROOT / "scenarios" / "telecom.yaml")
BANK = load_valid(ROOT / "scenarios" / "bank_card.yaml")
OPEN = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)  # Wednesday 13:00 in Moscow
CLOSED = datetime(2025, 3, 5, 20, 30, tzinfo=UTC)  # 23:30 in Moscow
ACCOUNT = "12344321"
CUSTOMER = CustomerView(id=7, display_name="Ann", segment="standard", language="en")


def context(**kw: object) -> CallContext:
    base: dict[str, object] = {"now": OPEN, "caller": "+79001234567"}
    base.update(kw)
    return CallContext(**base)  # type: ignore[arg-type]


def texts(action: object) -> list[str]:
    assert isinstance(action, Play | Collect), action
    return [p.text for p in action.prompts]


def to_main_menu(call: Call) -> Collect:
    action = call.start()
    assert isinstance(action, Play) and action.node == "welcome"
    menu = call.feed(PromptDone())
    assert isinstance(menu, Collect) and menu.node == "main_menu"
    return menu


def billing_history(now: datetime) -> list[HistoryItem]:
    return [
        HistoryItem("billing", "voice", "in", now - timedelta(days=2)),
        HistoryItem("billing", "email", "in", now - timedelta(days=9)),
        HistoryItem("billing", "chat", "in", now - timedelta(days=20)),
        HistoryItem("internet_support", "voice", "in", now - timedelta(days=60)),
    ]


# --- menus and personalisation -----------------------------------------------------------


def test_unknown_caller_hears_static_menu_and_reaches_billing_with_6() -> None:
    call = Call(TELECOM, context())
    menu = to_main_menu(call)
    heard = texts(menu)
    assert heard[1] == "For internet support, press 1."
    assert heard[6] == "To pay your bill or ask about it, press 6."
    assert (menu.max_digits, menu.min_digits, menu.terminator) == (1, 1, None)
    assert menu.expects == "menu"
    assert menu.intents[0] == "internet_support"
    label = menu.prompts[6]
    assert label.parts == (TextPart("To pay your bill or ask about it, press"), DigitsPart("6"))

    gather = call.feed(Digits("6"))
    assert isinstance(gather, Collect) and gather.node == "identify"
    assert gather.expects == "digits"
    assert (gather.max_digits, gather.min_digits, gather.terminator) == (8, 8, "#")
    offer = call.feed(Digits("55556666#"))
    assert isinstance(offer, Collect) and offer.node == "billing_offer"
    hold = call.feed(Digits("3"))
    assert texts(hold) == ["Please hold while we connect you to our billing team."]
    transfer = call.feed(PromptDone())
    assert transfer == Transfer("billing_queue", "billing", ("billing",), 5, "billing", "en")

    journey = call.journey
    assert journey.status == "transferred"
    assert journey.service == "billing"
    assert journey.intent == "billing"
    assert journey.stopped_at == "billing_queue"
    assert journey.collected["account_number"].value == "55556666"
    assert journey.collected["account_number"].source == "voice"
    assert journey.menus[0]["promoted"] == []
    assert [o["key"] for o in journey.menus[0]["order"]][:7] == list("1234560")
    assert call.feed(PromptDone()) == Done("transferred")


def test_billing_heavy_caller_hears_billing_first_on_key_1() -> None:
    call = Call(TELECOM, context(customer=CUSTOMER, history=billing_history(OPEN)))
    menu = to_main_menu(call)
    # A regular whose options moved up skips "please listen carefully" (intro: unless-...).
    assert texts(menu)[0] == "For billing, press 1."  # promoted: said in short
    assert texts(menu)[1] == "For internet support, press 2."
    assert texts(menu)[-2] == "To speak to an agent, press 0."  # 0 keeps its key and place
    entered = call.journey.path[-1]
    assert entered.node == "main_menu"
    assert entered.detail["promoted"] == ["billing"]
    assert "billing" in entered.detail["reasons"]
    gather = call.feed(Digits("1"))
    assert isinstance(gather, Collect) and gather.node == "identify"
    chosen = call.journey.path[-3]
    assert (chosen.input, chosen.detail["option"], chosen.detail["intent"]) == ("1", "6", "billing")
    assert call.journey.intent == "billing"


def test_speech_result_at_a_menu_chooses_the_option_with_that_intent() -> None:
    call = Call(TELECOM, context())
    to_main_menu(call)
    low = call.feed(SpeechResult("billing", 0.2, "bill"))
    assert isinstance(low, Collect) and low.node == "main_menu"  # too unsure: a retry
    action = call.feed(SpeechResult("tv_support", 0.9, "my tv is broken"))
    assert isinstance(action, Collect) and action.node == "identify"
    assert call.journey.intent == "tv_support"


def test_language_switch_and_russian_caller_gets_language_skill() -> None:
    call = Call(TELECOM, context())
    to_main_menu(call)
    menu = call.feed(Digits("*"))
    assert isinstance(menu, Collect)
    assert call.language == "ru"
    assert all(p.language == "ru" for p in menu.prompts)
    assert texts(menu)[0] == "Пожалуйста, выслушайте меню."
    agent = call.feed(Digits("0"))
    assert isinstance(agent, Transfer)
    assert agent.skills == ("general", "lang_ru")
    assert agent.language == "ru"


def test_menu_option_with_inline_transfer_and_vip_priority() -> None:
    vip = CustomerView(id=1, vip=True, language="ru")
    call = Call(TELECOM, context(customer=vip))
    first = call.start()
    assert isinstance(first, Play) and first.node == "vip_welcome"
    assert first.prompts[0].language == "ru"
    call.feed(PromptDone())
    transfer = call.feed(Digits("3"))
    assert transfer == Transfer("main_menu", "sales", ("sales", "lang_ru"), 7, "sales", "ru")


# --- retries and silence -------------------------------------------------------------------


def test_invalid_key_retries_with_prompt_then_falls_back() -> None:
    call = Call(TELECOM, context())
    to_main_menu(call)
    for attempt in (1, 2):
        again = call.feed(Digits("9"))
        assert isinstance(again, Collect) and again.node == "main_menu"
        assert texts(again)[0] == "Sorry, that is not one of the options."
        assert texts(again)[1] == "Please listen carefully to the following options."
        assert call.journey.path[-1].detail == {"result": "invalid", "attempt": attempt}
    fallback = call.feed(Digits("9"))
    assert texts(fallback) == ["Let me connect you to an agent."]
    assert isinstance(call.feed(PromptDone()), Transfer)
    results = [s.detail["result"] for s in call.journey.path if s.node == "main_menu"]
    assert results == ["entered", "invalid", "invalid", "exhausted"]


def test_no_input_retries_then_follows_the_declared_target() -> None:
    call = Call(TELECOM, context(now=CLOSED))
    closed = call.start()
    assert isinstance(closed, Play)
    offer = call.feed(PromptDone())
    assert isinstance(offer, Collect) and offer.node == "after_hours"
    again = call.feed(NoInput())
    assert texts(again)[0] == "Sorry, I did not hear a choice."  # the scenario default prompt
    call.feed(Digits(""))  # empty digits are silence too
    goodbye = call.feed(NoInput())
    assert texts(goodbye) == ["Thank you for calling Northwind Cable. Goodbye."]
    assert call.feed(PromptDone()) == Hangup("goodbye", "completed")
    assert call.journey.status == "completed"


def test_exhausted_retries_without_any_target_fail_the_call(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        languages: [en]
        default_language: en
        entry: pin
        nodes:
          pin:
            kind: gather
            field: pin
            length: 4
            retries: 1
            prompt: {en: Your PIN please.}
            next: bye
          bye: {kind: hangup}
        """,
    )
    call = Call(load_valid(path), context())
    assert isinstance(call.start(), Collect)
    assert isinstance(call.feed(Digits("12")), Collect)  # too short: one retry
    assert call.feed(Digits("12345")) == Hangup("pin", "invalid_retries_exhausted")
    assert call.journey.status == "failed"


# --- prefill -------------------------------------------------------------------------------


def test_prefill_confirm_skips_the_question() -> None:
    call = Call(TELECOM, context(customer=CUSTOMER, known={"account_number": ACCOUNT}))
    to_main_menu(call)
    confirm = call.feed(Digits("2"))
    assert isinstance(confirm, Collect) and confirm.expects == "confirm"
    prompt = confirm.prompts[0]
    assert prompt.text.startswith("Is this about the account ending 4321?")
    assert prompt.parts[:2] == (TextPart("Is this about the account ending"), DigitsPart("4321"))
    transfer = call.feed(Digits("1"))
    assert isinstance(transfer, Transfer) and transfer.service == "tv_support"
    assert call.journey.collected["account_number"].source == "profile"
    assert not any(s.detail.get("result") == "collected" for s in call.journey.path)


def test_prefill_confirm_declined_asks_and_stores_a_voice_answer() -> None:
    call = Call(TELECOM, context(known={"account_number": ACCOUNT}))
    to_main_menu(call)
    call.feed(Digits("2"))
    question = call.feed(Digits("2"))
    assert isinstance(question, Collect) and question.expects == "digits"
    assert texts(question) == [
        "Please enter your eight digit account number, followed by the hash key."
    ]
    bad = call.feed(Digits("123"))
    assert texts(bad)[0].startswith("That account number is not valid.")  # the node's own prompt
    call.feed(Digits("87654321"))
    assert call.journey.collected["account_number"].value == "87654321"
    assert call.journey.collected["account_number"].source == "voice"


def test_prefill_skip_uses_the_known_value_silently(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        languages: [en]
        default_language: en
        entry: card
        nodes:
          card:
            kind: gather
            field: card
            length: 4
            prefill: skip
            prompt: {en: Last four digits please.}
            next: check
          check:
            kind: condition
            if: {field: card, equals: '4321'}
            then: yes_card
            else: no_card
          yes_card: {kind: hangup, reason: matched}
          no_card: {kind: hangup, reason: other}
        """,
    )
    call = Call(load_valid(path), context(known={"card": "4321"}))
    assert call.start() == Hangup("yes_card", "matched")
    assert call.journey.collected["card"].source == "profile"
    bad_known = Call(load_valid(path), context(known={"card": "12"}))  # not acceptable: asked
    assert isinstance(bad_known.start(), Collect)


# --- conditions ----------------------------------------------------------------------------


def test_vip_and_hours_conditions() -> None:
    vip = Call(TELECOM, context(customer=CustomerView(id=1, vip=True)))
    assert vip.start().node == "vip_welcome"  # type: ignore[union-attr]
    closed = Call(TELECOM, context(now=CLOSED))
    closed.start()
    offer = closed.feed(PromptDone())
    assert isinstance(offer, Collect) and offer.node == "after_hours"
    holiday = Call(TELECOM, context(now=datetime(2026, 1, 1, 10, tzinfo=UTC)))
    holiday.start()
    assert holiday.feed(PromptDone()).node == "after_hours"  # type: ignore[union-attr]


def test_segment_condition_and_announce_first_menu() -> None:
    premium = CustomerView(id=3, segment="private")
    history = [HistoryItem("activation", "web", "in", OPEN - timedelta(days=1), open=True)]
    call = Call(BANK, context(customer=premium, history=history))
    assert call.start().node == "premium_welcome"  # type: ignore[union-attr]
    menu = call.feed(PromptDone())
    assert texts(menu)[0] == "To activate a new card, press 4."  # first, with its usual key
    assert texts(menu)[1] == "To report a lost or stolen card, press 1."


def test_hours_condition_in_bank_scenario_uses_its_own_zone() -> None:
    sunday = datetime(2025, 3, 9, 12, tzinfo=UTC)
    call = Call(BANK, context(now=sunday, known={"card_last4": "9876"}))
    call.start()
    call.feed(PromptDone())
    confirm = call.feed(Digits("3"))
    assert isinstance(confirm, Collect) and confirm.expects == "confirm"
    closed = call.feed(Digits("1"))
    assert isinstance(closed, Collect) and closed.node == "dispute_callback"


# --- sub-flows, channel switch, resume -----------------------------------------------------


def test_sub_flow_returns_to_the_calling_node() -> None:
    call = Call(TELECOM, context(known={"account_number": ACCOUNT}))
    to_main_menu(call)
    call.feed(Digits("4"))
    transfer = call.feed(Digits("1"))
    assert isinstance(transfer, Transfer) and transfer.service == "moving"
    visited = [s.node for s in call.journey.path]
    assert visited[visited.index("moving") :] == [
        "moving",
        "identify",
        "identify",
        "identified",
        "moving_queue",
        "moving_queue",
    ]
    assert call.journey.return_stack == ()


def test_channel_switch_records_the_choice() -> None:
    call = Call(TELECOM, context(known={"account_number": ACCOUNT}))
    to_main_menu(call)
    call.feed(Digits("6"))
    offer = call.feed(Digits("1"))
    assert isinstance(offer, Collect) and offer.expects == "choice"
    switch = call.feed(Digits("1"))
    assert switch == ChannelSwitch("billing_offer", "sms_link", "billing", "en")
    bye = call.feed(PromptDone())
    assert texts(bye)[0].startswith("We have sent you a text message")
    assert call.feed(PromptDone()) == Hangup("sms_sent", "completed")
    assert call.journey.channel_switch == "sms_link"
    assert call.journey.collected["channel_switch"].value == "sms_link"


def test_resume_starts_at_the_stopped_node_with_welcome_back() -> None:
    resume = ResumePoint("billing_offer", {"account_number": ACCOUNT}, "billing")
    call = Call(TELECOM, context(customer=CUSTOMER, resume=resume))
    action = call.start()
    assert isinstance(action, Collect) and action.node == "billing_offer"
    assert action.prompts[0].text == "Welcome back. Let's continue with your bill."
    assert action.prompts[0].parts == (
        TextPart("Welcome back. Let's continue with"),
        TextPart("your bill"),
    )
    assert call.journey.resumed_from == "billing_offer"
    assert call.journey.collected["account_number"].source == "resume"
    assert call.journey.path[0].detail["result"] == "resume"


def test_resume_at_a_queue_goes_straight_to_the_transfer() -> None:
    resume = ResumePoint("billing_queue", {}, "billing")
    call = Call(TELECOM, context(customer=CUSTOMER, resume=resume))
    play = call.start()
    assert texts(play) == [
        "Welcome back. Let's continue with your bill.",
        "Please hold while we connect you to our billing team.",
    ]
    assert isinstance(call.feed(PromptDone()), Transfer)


def test_resume_inside_a_sub_flow_returns_through_the_stack() -> None:
    first = Call(TELECOM, context(known={"account_number": ACCOUNT}))
    to_main_menu(first)
    first.feed(Digits("5"))  # cancel: identify runs as a sub-flow
    first.hangup()
    record = first.journey.to_record()
    assert (record["status"], record["stopped_at"]) == ("abandoned", "identify")
    resume = ResumePoint.from_record(record["stopped_at"], record["inputs"], record["intent"])
    assert resume.return_stack == ("cancel_queue",)
    again = Call(TELECOM, context(resume=resume, known={"account_number": ACCOUNT}))
    confirm = again.start()
    assert texts(confirm)[0] == "Welcome back. Let's continue with cancelling your service."
    transfer = again.feed(Digits("1"))
    assert isinstance(transfer, Transfer) and transfer.service == "retention"


def test_resume_at_a_node_that_no_longer_exists_starts_at_entry() -> None:
    call = Call(TELECOM, context(resume=ResumePoint("old_node", {}, "billing")))
    action = call.start()
    assert isinstance(action, Play) and action.node == "welcome"
    assert call.journey.path[0].detail["result"] == "resume_ignored"


# --- hang-ups, clock, misuse ---------------------------------------------------------------


def walk_to(kind: str) -> Call:
    known = {"account_number": ACCOUNT}
    call = Call(TELECOM, context(known=known))
    call.start()  # say: welcome
    if kind == "say":
        return call
    call.feed(PromptDone())  # menu
    if kind == "menu":
        return call
    call.feed(Digits("6"))  # gather (confirm)
    if kind == "gather":
        return call
    call.feed(Digits("1"))  # channel switch
    if kind == "channel_switch":
        return call
    if kind == "transfer":
        call.feed(Digits("3"))  # prompt before the transfer
        return call
    call.feed(Digits("2"))
    call.feed(PromptDone())  # hangup node's goodbye prompt
    return call


@pytest.mark.parametrize(
    ("kind", "node"),
    [
        ("say", "welcome"),
        ("menu", "main_menu"),
        ("gather", "identify"),
        ("channel_switch", "billing_offer"),
        ("transfer", "billing_queue"),
        ("hangup", "callback_booked"),
    ],
)
def test_caller_hangup_at_every_waiting_node_kind(kind: str, node: str) -> None:
    call = walk_to(kind)
    assert call.journey.current == node
    assert TELECOM.nodes[node].kind == kind
    call.hangup(now=OPEN + timedelta(seconds=12))
    journey = call.journey
    assert (journey.status, journey.stopped_at, journey.end_reason) == (
        "abandoned",
        node,
        "caller_hangup",
    )
    assert journey.path[-1].detail == {"result": "caller_hangup"}
    assert journey.path[-1].offset_ms == 12_000
    assert call.feed(Digits("1")) == Done("abandoned")
    call.hangup()  # twice is harmless
    assert journey.status == "abandoned"


def test_offsets_follow_the_clock_passed_in() -> None:
    call = Call(TELECOM, context())
    call.start(now=OPEN)
    call.feed(PromptDone(), now=OPEN + timedelta(seconds=3))
    call.feed(Digits("9"), now=OPEN + timedelta(seconds=7, milliseconds=250))
    assert [s.offset_ms for s in call.journey.path][-2:] == [3000, 7250]


def test_misuse_is_refused() -> None:
    call = Call(TELECOM, context())
    with pytest.raises(RuntimeError, match="not started"):
        call.feed(PromptDone())
    call.start()
    with pytest.raises(RuntimeError, match="already started"):
        call.start()
    with pytest.raises(ValueError, match="timezone-aware"):
        CallContext(now=datetime(2025, 1, 1))


def test_journey_record_is_json_ready() -> None:
    import json

    call = Call(TELECOM, context(history=billing_history(OPEN), customer=CUSTOMER))
    to_main_menu(call)
    call.feed(Digits("0"))
    record = call.journey.to_record()
    assert set(record) == {"path", "inputs", "menus", "stopped_at", "status", "service", "intent"}
    assert json.loads(json.dumps(record)) == record
    assert record["service"] == "general" and record["status"] == "transferred"


# --- property: random input never crashes and silence always ends the call -----------------

events = st.one_of(
    st.builds(Digits, st.text(alphabet="0123456789*#", max_size=9)),
    st.just(NoInput()),
    st.just(PromptDone()),
    st.builds(
        SpeechResult,
        st.sampled_from([None, "billing", "tv_support", "lost_card", "nonsense"]),
        st.floats(0, 1),
        st.text(alphabet="0123456789 abc", max_size=10),
    ),
)
contexts = st.builds(
    CallContext,
    now=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
    ),
    caller=st.just("+15550001111"),
    customer=st.one_of(
        st.none(),
        st.builds(
            CustomerView,
            id=st.just(1),
            vip=st.booleans(),
            segment=st.sampled_from([None, "private", "standard"]),
            language=st.sampled_from([None, "en", "ru", "de"]),
        ),
    ),
    known=st.fixed_dictionaries(
        {},
        optional={
            "account_number": st.text(alphabet="0123456789", min_size=1, max_size=9),
            "card_last4": st.text(alphabet="0123456789", min_size=1, max_size=5),
        },
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    scenario=st.sampled_from([TELECOM, BANK]),
    ctx=contexts,
    script=st.lists(events, max_size=40),
)
def test_random_input_never_crashes_and_silence_ends_the_call(
    scenario: object, ctx: CallContext, script: list[Event]
) -> None:
    call = Call(scenario, ctx)  # type: ignore[arg-type]
    action = call.start()
    for event in script:
        if isinstance(action, Transfer | Hangup | Done):
            break
        action = call.feed(event)
    for _ in range(40):  # then the caller says nothing at all
        if isinstance(action, Transfer | Hangup | Done):
            break
        action = call.feed(NoInput() if isinstance(action, Collect) else PromptDone())
    assert isinstance(action, Transfer | Hangup | Done)
    assert call.journey.status in ("transferred", "completed", "failed", "abandoned")
    assert not any(s.detail.get("result") == "failed" for s in call.journey.path)
    assert call.feed(NoInput()) == Done(call.journey.status)


# --- conditions, recordings ------------------------------------------------------------------

CONDITIONS = """\
languages: [en]
default_language: en
entry: route
fields: [plan]
nodes:
  route:
    kind: condition
    when:
      - if: {attribute: tier, in: [gold, platinum], known: true}
        then: gold
      - if: {all: [{field: plan, matches: "fib.*"}, {not: {vip: true}}]}
        then: fiber
      - if: {any: [{known: false}, {segment: trial}]}
        then: stranger
    else: other
  gold: {kind: hangup, reason: gold}
  fiber: {kind: hangup, reason: fiber}
  stranger: {kind: hangup, reason: stranger}
  other:
    kind: say
    prompt:
      - {file: sounds/other.wav}
      - {en: "Your plan is {plan}, ref {caller|digits}."}
    next: done
  done: {kind: hangup}
"""


@pytest.mark.parametrize(
    ("customer", "known", "reason"),
    [
        (CustomerView(id=1, attributes={"tier": "gold"}), {}, "gold"),
        (CustomerView(id=1, attributes={"tier": "bronze"}), {"plan": "fiber500"}, "fiber"),
        (CustomerView(id=1, vip=True), {"plan": "fiber500"}, None),
        (None, {"plan": "dsl"}, "stranger"),
        (CustomerView(id=1, segment="trial"), {}, "stranger"),
    ],
)
def test_attribute_field_and_combined_conditions(
    tmp_path: Path, customer: CustomerView | None, known: dict[str, str], reason: str | None
) -> None:
    scenario = load_valid(write(tmp_path, CONDITIONS))
    action = Call(scenario, context(customer=customer, known=known)).start()
    if reason is not None:
        assert action == Hangup(reason, reason)
    else:
        assert isinstance(action, Play) and action.node == "other"


def test_recorded_prompts_and_dynamic_values(tmp_path: Path) -> None:
    path = write(tmp_path, CONDITIONS)
    scenario = load_valid(path)
    recording = str((tmp_path / "sounds" / "other.wav").resolve())
    assert scenario.all_prompt_files() == {recording}
    call = Call(scenario, context(customer=CustomerView(id=1, vip=True), known={"plan": "fiber"}))
    play = call.start()
    assert isinstance(play, Play)
    assert play.prompts[0].parts == (FilePart(recording),)
    assert play.prompts[1].parts == (
        TextPart("Your plan is"),
        TextPart("fiber", fixed=False),  # not pre-rendered: the adapter renders it now
        TextPart("ref"),
        DigitsPart("79001234567"),
    )
    assert ("en", "Your plan is") in scenario.all_prompt_texts()
    assert call.feed(PromptDone()) == Hangup("done", "completed")
    assert call.journey.status == "completed"
