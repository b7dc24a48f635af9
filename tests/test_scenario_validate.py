"""Semantic checks: each kind of problem at its exact line and column, all of them at once."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from ivr.scenario.node_keys import COMMON, KEYS
from ivr.scenario.source import ScenarioError
from ivr.scenario.validate import load_valid, validate_file
from tests.scenario_helpers import BASE, at, write

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
SCHEMA = json.loads((ROOT / "ivr" / "scenario" / "schema.json").read_text(encoding="utf-8"))

MENU = """\
languages: [en]
default_language: en
entry: menu
nodes:
  menu:
    kind: menu
    options:
      - key: 1
        label: {en: One.}
        target: bye
      - key: 2
        label: {en: Two.}
        target: bye
  bye:
    kind: hangup
"""


def found(path: Path) -> list[str]:
    return [str(p) for p in validate_file(path)]


def test_shipped_scenarios_are_valid() -> None:
    assert [p.name for p in SHIPPED] == ["bank_card.yaml", "telecom.yaml"]
    for path in SHIPPED:
        assert found(path) == []
        assert load_valid(path).name == path.stem


def test_unknown_target_node(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("next: bye", "next: byee"))
    assert found(path) == [
        at(path, "byee") + "unknown target node 'byee' (next of 'hello')",
        at(path, "bye:") + "node 'bye' is unreachable from entry 'hello'",
    ]


def test_missing_next(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("    next: bye\n", ""))
    assert at(path, "hello:") + "say node 'hello' needs a next node" in found(path)


def test_unreachable_node(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "  orphan:\n    kind: goto\n    target: bye\n")
    assert found(path) == [at(path, "orphan:") + "node 'orphan' is unreachable from entry 'hello'"]


def test_unknown_entry(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("entry: hello", "entry: hallo"))
    assert at(path, "hallo") + "entry node 'hallo' is not a node" in found(path)


def test_duplicate_and_bad_menu_keys(tmp_path: Path) -> None:
    text = MENU.replace("key: 2", "key: 1") + "      - {key: 10, label: {en: X.}, target: bye}\n"
    text = text.replace("  bye:\n    kind: hangup\n", "")
    text = text + "      - {key: A, label: {en: Y.}, target: bye}\n  bye:\n    kind: hangup\n"
    path = write(tmp_path, text)
    assert found(path) == [
        at(path, "1", 2) + "duplicate key '1' in menu 'menu'",
        at(path, "10") + "menu key '10' in 'menu' must be one of 0-9, * or #",
        at(path, "A,") + "menu key 'A' in 'menu' must be one of 0-9, * or #",
    ]


def test_missing_prompt_text_for_a_declared_language(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("languages: [en]", "languages: [en, ru]"))
    assert found(path) == [
        at(path, "{en: Hello.}") + "prompt 'hello.prompt' has no text for language 'ru'"
    ]


def test_text_for_an_undeclared_language(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("{en: Hello.}", "{en: Hello., de: Hallo.}"))
    assert found(path) == [
        at(path, "{en: Hello.") + "prompt 'hello.prompt' has text for undeclared language 'de'"
    ]


def test_bad_regex_pattern(tmp_path: Path) -> None:
    text = BASE.replace(
        "    kind: say\n    prompt: {en: Hello.}\n",
        "    kind: gather\n    field: pin\n    pattern: '[0-9'\n    prompt: {en: PIN please}\n",
    )
    path = write(tmp_path, text)
    problems = found(path)
    assert len(problems) == 1
    assert problems[0].startswith(at(path, "'[0-9'") + "bad regex pattern '[0-9'")


def test_unknown_field_in_condition(tmp_path: Path) -> None:
    text = BASE.replace(
        "entry: hello\n",
        "entry: check\nfields: [account]\n",
    ) + (
        "  check:\n    kind: condition\n    when:\n"
        "      - if: {field: acount, present: true}\n        then: hello\n"
        "      - if: {field: account, equals: '1'}\n        then: hello\n"
        "    else: hello\n"
    )
    path = write(tmp_path, text)
    assert found(path) == [
        at(path, "acount") + "unknown field 'acount' in condition (known: account)"
    ]


def test_unknown_hours_calendar_and_language(tmp_path: Path) -> None:
    text = BASE.replace("entry: hello\n", "entry: check\n") + (
        "  check:\n    kind: condition\n    if: {hours: office}\n    then: hello\n"
        "    else: lang\n"
        "  lang:\n    kind: condition\n    if: {language: ru}\n    then: hello\n    else: hello\n"
    )
    path = write(tmp_path, text)
    assert found(path) == [
        at(path, "office") + "unknown hours calendar 'office'",
        at(path, "ru}") + "language 'ru' in condition is not in the scenario's languages",
    ]


def test_loop_without_exit(tmp_path: Path) -> None:
    text = BASE.replace("next: bye", "next: again") + (
        "  again:\n    kind: goto\n    target: hello\n"
    )
    path = write(tmp_path, text)
    assert found(path) == [
        at(path, "hello:")
        + "loop without exit: hello -> again -> hello "
        + "(no menu, gather or channel_switch in it leads out)",
        at(path, "bye:") + "node 'bye' is unreachable from entry 'hello'",
    ]


def test_loop_through_a_menu_with_an_exit_is_fine(tmp_path: Path) -> None:
    path = write(
        tmp_path, MENU.replace("target: bye\n      - key: 2", "target: menu\n      - key: 2")
    )
    assert found(path) == []


def test_menu_whose_options_all_loop_back_has_no_exit(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        MENU.replace("target: bye", "target: menu").replace("  bye:\n    kind: hangup\n", ""),
    )
    assert found(path) == [
        at(path, "menu:")
        + "loop without exit: menu -> menu (no menu, gather or channel_switch in it leads out)"
    ]


def test_goto_and_sub_flow_to_missing_nodes(tmp_path: Path) -> None:
    text = BASE.replace("next: bye", "next: jump") + (
        "  jump:\n    kind: goto\n    target: nowhere\n"
        "  sub:\n    kind: call\n    flow: ghost\n    next: bye\n"
    )
    path = write(tmp_path, text)
    problems = found(path)
    assert at(path, "nowhere") + "unknown target node 'nowhere' (target of 'jump')" in problems
    assert at(path, "ghost") + "unknown sub-flow 'ghost' (sub-flow of 'sub')" in problems


def test_transfer_without_service(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("kind: hangup", "kind: transfer\n    skills: [billing]"))
    assert found(path) == [
        at(path, "bye:") + "transfer node 'bye' needs a 'service' (the queue to transfer to)"
    ]


def test_unlabelled_intent_when_a_prompt_speaks_labels(tmp_path: Path) -> None:
    text = MENU.replace("key: 1\n", "key: 1\n        intent: billing\n") + (
        "resume:\n  window_minutes: 10\n  prompt: {en: 'Back to {intent|label}.'}\n"
    )
    path = write(tmp_path, text)
    assert found(path) == [
        at(path, "billing") + "intent 'billing' has no label under 'intents' (a prompt speaks it)"
    ]


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    text = BASE.replace("next: bye", "next: nope").replace("kind: hangup", "kind: explode")
    path = write(tmp_path, text)
    problems = found(path)
    assert at(path, "nope") + "unknown target node 'nope' (next of 'hello')" in problems
    assert any(p.startswith(at(path, "explode")) for p in problems)
    with pytest.raises(ScenarioError) as caught:
        load_valid(path)
    assert len(caught.value.problems) == len(problems)


def test_syntax_error_through_validate_file(tmp_path: Path) -> None:
    path = write(tmp_path, "languages: [en\nentry: x\n")
    problems = found(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:2:")
    assert "YAML syntax error" in problems[0]


# --- JSON Schema -----------------------------------------------------------------------


def plain(value: Any) -> Any:
    """YAML data as JSON would have it (dates as ISO text)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def schema_errors(data: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return [e.message for e in validator.iter_errors(data)]


def test_schema_is_valid_draft_2020_12() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenarios_match_the_schema(path: Path) -> None:
    assert schema_errors(plain(yaml.safe_load(path.read_text(encoding="utf-8")))) == []


def test_schema_rejects_broken_files() -> None:
    data = plain(yaml.safe_load((ROOT / "scenarios" / "telecom.yaml").read_text(encoding="utf-8")))
    data["nodes"]["main_menu"]["options"][0]["key"] = "12"
    data["nodes"]["agent"]["kind"] = "teleport"
    del data["nodes"]["identify"]["field"]
    data["colour"] = "blue"
    errors = schema_errors(data)
    assert len(errors) >= 4
    text = " | ".join(errors)
    assert "'12' does not match" in text
    assert "'teleport' is not one of" in text
    assert "'field' is a required property" in text
    assert "'colour' was unexpected" in text


def test_unknown_placeholder_field_in_a_prompt(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("{en: Hello.}", "{en: 'Hello {acount|last4}.'}"))
    assert found(path) == [
        at(path, "{en: 'Hello") + "unknown field {acount} in prompt 'hello.prompt'"
    ]


@pytest.mark.parametrize("kind", sorted(KEYS))
def test_schema_declares_the_keys_the_loader_accepts(kind: str) -> None:
    node = SCHEMA["$defs"][f"node_{kind}"]
    assert node.get("additionalProperties") is False
    assert set(node["properties"]) == set(COMMON + KEYS[kind])


def test_schema_knows_every_node_kind() -> None:
    kinds = {name.removeprefix("node_") for name in SCHEMA["$defs"] if name.startswith("node_")}
    assert kinds == set(KEYS)
