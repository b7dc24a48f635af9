"""Loading scenario files: typed model, positions of every error, templates and calendars."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr.scenario import model as m
from ivr.scenario.hours import parse_days, parse_range
from ivr.scenario.loader import load_scenario, read_scenario
from ivr.scenario.source import Problem, ScenarioError
from ivr.scenario.text import (
    DigitsPart,
    NumberPart,
    TemplateError,
    TextPart,
    format_template,
    parse_template,
)
from tests.scenario_helpers import BASE, at, write

ROOT = Path(__file__).resolve().parent.parent


def messages(path: Path) -> list[str]:
    _, problems = read_scenario(path)
    return [str(p) for p in problems]


def test_base_scenario_loads_into_typed_nodes(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    scenario = load_scenario(path)
    assert scenario.name == "flow"
    assert scenario.entry == "hello"
    assert isinstance(scenario.nodes["hello"], m.Say)
    assert scenario.nodes["hello"].next == "bye"
    assert isinstance(scenario.nodes["bye"], m.Hangup)
    assert scenario.languages == ("en",)
    assert scenario.nodes["hello"].pos.line == 5


def test_version_is_a_content_hash(tmp_path: Path) -> None:
    first = load_scenario(write(tmp_path, BASE)).version
    again = load_scenario(write(tmp_path, BASE)).version
    changed = load_scenario(write(tmp_path, BASE.replace("Hello.", "Hi."))).version
    assert first == again
    assert first != changed


def test_yaml_syntax_error_has_its_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("next: bye", "next: [bye"))
    found = messages(path)
    assert len(found) == 1
    assert "YAML syntax error" in found[0]
    assert found[0].startswith(f"{path}:")
    line = int(found[0].split(":")[1])
    assert line >= 8


def test_error_string_lists_file_line_column(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "colour: blue\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(at(path, "colour"))
    assert "unknown key 'colour'" in str(caught.value)
    assert caught.value.problems == [Problem(str(path), 11, 1, caught.value.problems[0].message)]


def test_unknown_node_kind_points_at_the_kind(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("kind: hangup", "kind: dance"))
    found = messages(path)
    assert found == [
        at(path, "dance")
        + "unknown node kind 'dance' in node 'bye' (expected: "
        + ", ".join(m.NODE_KINDS)
        + ")"
    ]


def test_missing_kind_points_at_the_node(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("    kind: hangup\n", "    reason: done\n"))
    assert messages(path) == [at(path, "bye:") + "node 'bye' needs 'kind'"]


def test_wrong_types_and_unknown_keys_are_all_reported(tmp_path: Path) -> None:
    text = BASE.replace(
        "    next: bye\n", "    next: bye\n    interruptible: maybe\n    colour: 1\n"
    )
    path = write(tmp_path, text + "defaults: {retries: lots}\n")
    found = messages(path)
    assert at(path, "maybe") + "interruptible must be true/false" in found
    assert any(f.startswith(at(path, "colour")) and "unknown key 'colour'" in f for f in found)
    assert at(path, "lots") + "defaults retries must be an integer" in found
    assert len(found) == 3


def test_duplicate_yaml_key_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("    next: bye\n", "    next: bye\n    next: hello\n"))
    assert messages(path) == [at(path, "next: hello") + "duplicate key 'next'"]


def test_bad_placeholder_in_prompt_is_reported_at_the_text(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("{en: Hello.}", '{en: "Hello {name"}'))
    found = messages(path)
    assert len(found) == 1
    assert found[0].startswith(at(path, '"Hello'))
    assert "unmatched '{'" in found[0]


def test_unknown_time_zone_and_bad_hours(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        BASE
        + "hours:\n  office:\n    timezone: Mars/Olympus\n"
        + "    open: {mon-fri: '18:00-09:00', funday: '10:00-11:00'}\n",
    )
    found = messages(path)
    assert (
        at(path, "Mars/Olympus") + "unknown time zone 'Mars/Olympus' in hours calendar 'office'"
        in found
    )
    assert any(f.startswith(at(path, "'18:00-09:00'")) and "must end after" in f for f in found)
    assert any(f.startswith(at(path, "funday")) and "bad day 'funday'" in f for f in found)


def test_menu_gather_and_condition_are_parsed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        languages: [en, ru]
        default_language: en
        entry: menu
        fields: [account_number]
        nodes:
          menu:
            kind: menu
            personalize: off
            max_promoted: 1
            options:
              - key: 1
                intent: billing
                label: {en: "Bills {key}", ru: "Счета {key}"}
                target: acct
              - key: 0
                label: {en: Agent, ru: Оператор}
                transfer: {service: general, skills: [general], priority: 3}
          acct:
            kind: gather
            field: account_number
            length: 8
            prefill: confirm
            confirm_prompt: {en: "Ending {account_number|last4}?", ru: "На {account_number|last4}?"}
            prompt: {en: Enter it., ru: Введите.}
            next: route
          route:
            kind: condition
            when:
              - if: {vip: true, segment: [gold]}
                then: menu
            else: menu
        """,
    )
    scenario = load_scenario(path)
    menu = scenario.nodes["menu"]
    assert isinstance(menu, m.Menu)
    assert menu.policy.mode == "off"  # YAML's bare off is read as the mode, not false
    assert menu.policy.max_promoted == 1
    assert [o.key for o in menu.options] == ["1", "0"]
    assert menu.options[1].transfer == m.TransferSpec("general", ("general",), 3)
    gather = scenario.nodes["acct"]
    assert isinstance(gather, m.Gather)
    assert (gather.min_digits, gather.max_digits, gather.prefill) == (8, 8, "confirm")
    condition = scenario.nodes["route"]
    assert isinstance(condition, m.Condition)
    assert len(condition.branches) == 1
    assert condition.otherwise == "menu"


def test_all_prompt_texts_are_fixed_fragments_per_language() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "telecom.yaml")
    texts = scenario.all_prompt_texts()
    assert ("en", "Is this about the account ending") in texts
    assert ("en", "Press 1 for yes, or 2 to enter another account.") in texts
    assert ("en", "To pay your bill or ask about it, press") in texts
    assert ("ru", "ваш счёт") in texts  # intent labels are spoken by the resume prompt
    assert not any("{" in text for _, text in texts)
    assert {lang for lang, _ in texts} == {"en", "ru"}


# --- templates --------------------------------------------------------------------------


def no_label(_: str) -> str | None:
    return None


def test_template_parts_split_fixed_text_from_digits() -> None:
    template = parse_template("The account ending {account|last4}, code {code}.")
    parts, text = format_template(template, {"account": "12345678", "code": "77"}, no_label)
    assert parts == (
        TextPart("The account ending"),
        DigitsPart("5678"),
        TextPart("code"),
        DigitsPart("77"),
    )
    assert text == "The account ending 5678, code 77."
    assert template.fixed_fragments() == ("The account ending", "code")


def test_template_filters_and_escapes() -> None:
    template = parse_template("{{literal}} {n|number} {who|text} {intent|label} {missing}")
    parts, text = format_template(
        template, {"n": "42", "who": "Ann", "intent": "billing"}, lambda i: f"your {i}"
    )
    assert parts == (
        TextPart("{literal}"),
        NumberPart(42),
        TextPart("Ann", fixed=False),
        TextPart("your billing"),
    )
    assert text == "{literal} 42 Ann your billing"


@pytest.mark.parametrize("bad", ["{x|upper}", "a {b", "a } b", "{1x}"])
def test_bad_templates_are_refused(bad: str) -> None:
    with pytest.raises(TemplateError):
        parse_template(bad)


# --- hours -------------------------------------------------------------------------------


def test_hours_calendar_uses_its_own_time_zone(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        BASE
        + "hours:\n  office:\n    timezone: Europe/Moscow\n"
        + "    open: {mon-fri: ['09:00-13:00', '14:00-18:00'], sat: closed}\n"
        + "    closed_dates: [2025-03-07]\n",
    )
    calendar = load_scenario(path).hours["office"]
    wednesday = datetime(2025, 3, 5, tzinfo=UTC)
    assert calendar.is_open(wednesday.replace(hour=6))  # 09:00 in Moscow
    assert not calendar.is_open(wednesday.replace(hour=5, minute=59))
    assert not calendar.is_open(wednesday.replace(hour=10, minute=30))  # lunch
    assert not calendar.is_open(datetime(2025, 3, 7, 8, tzinfo=UTC))  # closed date
    assert not calendar.is_open(datetime(2025, 3, 8, 8, tzinfo=UTC))  # Saturday
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.is_open(datetime(2025, 3, 5, 8))


def test_day_and_range_parsing() -> None:
    assert parse_days("mon-wed,sun") == [0, 1, 2, 6]
    assert parse_range("00:00-24:00") == (0, 1440)
    for bad in ("fri-mon", "xyz"):
        with pytest.raises(ValueError):
            parse_days(bad)
    for bad in ("9-5", "10:00-09:00", "25:00-26:00"):
        with pytest.raises(ValueError):
            parse_range(bad)
