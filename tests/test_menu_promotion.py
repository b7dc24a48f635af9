"""Promoted options said in short (``promoted_label``) and a promoted 0/*/# in renumber mode
(``promote_fixed_keys``): loading, validation, ranking and calls through the engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ivr.personalize import RENUMBERABLE_KEYS, HistoryItem, Policy, rank_menu
from ivr.scenario import model as m
from ivr.scenario.actions import Collect, Digits, Transfer
from ivr.scenario.context import CallContext, CustomerView
from ivr.scenario.engine import Call
from ivr.scenario.validate import load_valid, validate_file
from tests.scenario_helpers import at, write

NOW = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)

FLOW = """\
languages: [en]
default_language: en
entry: menu
nodes:
  menu:
    kind: menu
    personalize: renumber
    promote_fixed_keys: true
    min_evidence: 1
    intro: unless-personalised
    prompt: {en: Please listen carefully.}
    options:
      - key: 1
        intent: internet
        label: {en: "For internet support and outages, press {key}."}
        target: internet
      - key: 2
        intent: billing
        label: {en: "To pay your bill or ask about it, press {key}."}
        promoted_label: {en: "For billing, press {key}."}
        target: billing
      - key: 0
        intent: agent
        label: {en: "To speak to one of our agents, press {key}."}
        promoted_label: {en: "For an agent, press {key}."}
        target: agent
  internet:
    kind: transfer
    service: internet
  billing:
    kind: transfer
    service: billing
  agent:
    kind: transfer
    service: agent
"""


def contacts(intent: str, *days: int) -> tuple[HistoryItem, ...]:
    return tuple(HistoryItem(intent, "voice", "in", NOW - timedelta(days=d)) for d in days)


def menu_of(tmp_path: Path, history: tuple[HistoryItem, ...]) -> tuple[Call, Collect]:
    scenario = load_valid(write(tmp_path, FLOW))
    known = CustomerView(id=1, language="en") if history else None
    call = Call(scenario, CallContext(now=NOW, caller="+1555", customer=known, history=history))
    menu = call.start()
    assert isinstance(menu, Collect) and menu.node == "menu"
    return call, menu


def heard(menu: Collect) -> list[str]:
    return [p.text for p in menu.prompts]


# --- calls through the engine ---------------------------------------------------------------


def test_a_regular_hears_their_option_in_short_and_the_rest_in_full(tmp_path: Path) -> None:
    call, menu = menu_of(tmp_path, contacts("billing", 1, 5, 30))
    assert heard(menu) == [
        "For billing, press 1.",
        "For internet support and outages, press 2.",
        "To speak to one of our agents, press 0.",
    ]
    assert menu.prompts[0].id == "menu.options.2.promoted_label"
    action = call.feed(Digits("1"))
    assert isinstance(action, Transfer) and action.service == "billing"


def test_a_stranger_hears_every_full_label_in_the_file_order(tmp_path: Path) -> None:
    call, menu = menu_of(tmp_path, ())
    assert heard(menu) == [
        "Please listen carefully.",
        "For internet support and outages, press 1.",
        "To pay your bill or ask about it, press 2.",
        "To speak to one of our agents, press 0.",
    ]
    assert [p.id for p in menu.prompts[1:]] == [f"menu.options.{k}.label" for k in "120"]


def test_an_agent_regular_hears_the_agent_first_and_0_still_means_agent(tmp_path: Path) -> None:
    call, menu = menu_of(tmp_path, contacts("agent", 2, 9, 20) + contacts("billing", 3, 4))
    assert heard(menu) == [
        "For an agent, press 0.",
        "For billing, press 1.",
        "For internet support and outages, press 2.",
    ]
    assert call.journey.path[-1].detail["promoted"] == ["agent", "billing"]
    action = call.feed(Digits("0"))
    assert isinstance(action, Transfer) and action.service == "agent"


# --- loading and validation -----------------------------------------------------------------


def test_loader_reads_promoted_labels_and_the_policy(tmp_path: Path) -> None:
    scenario = load_valid(write(tmp_path, FLOW))
    menu = scenario.nodes["menu"]
    assert isinstance(menu, m.Menu) and menu.policy.promote_fixed_keys
    labels = {o.key: o.promoted_label for o in menu.options}
    assert labels["1"] is None
    assert labels["2"] is not None and labels["2"].id == "menu.options.2.promoted_label"
    assert any(p is labels["2"] for p in scenario.prompts())  # pre-rendered with the others
    text = FLOW.replace("    promote_fixed_keys: true\n", "")
    plain = load_valid(
        write(tmp_path, text.replace("personalize: renumber", "personalize: announce-first"), "b")
    )
    assert not plain.nodes["menu"].policy.promote_fixed_keys  # type: ignore[union-attr]


def test_a_promoted_label_that_can_never_be_said_is_an_error(tmp_path: Path) -> None:
    text = FLOW.replace("    promote_fixed_keys: true\n", "").replace(
        "        intent: internet\n", ""
    )
    text = text.replace(
        "        target: internet\n",
        '        promoted_label: {en: "Internet, {key}."}\n        target: internet\n',
    )
    path = write(tmp_path, text)
    assert [str(p) for p in validate_file(path)] == [
        at(path, '{en: "Internet') + "option '1' of menu 'menu' has a promoted_label but no intent",
        at(path, '{en: "For an agent')
        + "option '0' of menu 'menu' keeps its key and place when personalize: renumber "
        "(without promote_fixed_keys), so its promoted_label is never said",
    ]


def test_a_bad_promote_fixed_keys_value_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, FLOW.replace("promote_fixed_keys: true", "promote_fixed_keys: maybe"))
    problems = [str(p) for p in validate_file(path)]
    assert problems[0].startswith(at(path, "maybe") + "promote_fixed_keys must be true/false")


# --- ranking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opt:
    key: str
    intent: str | None


def test_promote_fixed_keys_puts_a_promoted_0_first_keeping_its_key() -> None:
    menu = (Opt("1", "a"), Opt("2", "b"), Opt("0", "agent"), Opt("*", None))
    history = contacts("agent", 1, 2, 3) + contacts("b", 1, 2)
    plan = rank_menu(menu, history, Policy(promote_fixed_keys=True), NOW)
    assert [(o.key, o.option_key) for o in plan.options] == [
        ("0", "0"),
        ("1", "2"),
        ("2", "1"),
        ("*", "*"),
    ]
    keep = rank_menu(menu, history, Policy(), NOW)
    assert [(o.key, o.option_key) for o in keep.options] == [
        ("1", "2"),
        ("2", "1"),
        ("0", "0"),
        ("*", "*"),
    ]


INTENTS = ["a", "b", "c"]


@st.composite
def menus(draw: st.DrawFn) -> tuple[Opt, ...]:
    keys = draw(st.lists(st.sampled_from(list("1234567890*#")), min_size=1, unique=True))
    return tuple(Opt(k, draw(st.one_of(st.none(), st.sampled_from(INTENTS)))) for k in keys)


@given(menus(), st.lists(st.tuples(st.sampled_from(INTENTS), st.integers(0, 200)), max_size=12))
def test_promoted_fixed_keys_keep_their_key_and_every_option_stays_reachable(
    menu: tuple[Opt, ...], raw: list[tuple[str, int]]
) -> None:
    history = [HistoryItem(i, "chat", "in", NOW - timedelta(days=d)) for i, d in raw]
    plan = rank_menu(menu, history, Policy(promote_fixed_keys=True, min_evidence=0.5), NOW)
    pressed = [o.key for o in plan.options]
    assert len(set(pressed)) == len(menu)
    assert sorted(o.option_key for o in plan.options) == sorted(o.key for o in menu)
    flags = [o.promoted for o in plan.options]
    assert flags == sorted(flags, reverse=True)  # promoted first, fixed keys or not
    for option in plan.options:
        if option.option_key not in RENUMBERABLE_KEYS:
            assert option.key == option.option_key
    rest = [o.option_key for o in plan.options if not o.promoted]
    assert rest == [o.key for o in menu if o.key in rest]  # the others keep their order
    if plan.promoted:
        digits = sorted(int(k) for k in pressed if k in RENUMBERABLE_KEYS)
        assert digits == list(range(1, len(digits) + 1))
