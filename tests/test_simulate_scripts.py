"""Caller scripts: the shipped QA suite is valid, bad scripts give file:line:column problems,
and the JSON Schema agrees with the loader and the store's vocabularies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest
import yaml

from customers.identities import IDENTITY_KINDS
from customers.validation import CHANNELS, DIRECTIONS, OUTCOMES
from ivr.scenario import ScenarioSet
from omnivox.simulate import model as m
from omnivox.simulate.parse import call_time
from omnivox.simulate.schema import ACTIONS, schema
from omnivox.simulate.scripts import ScriptError, load_scripts, read_script, read_scripts

ROOT = Path(__file__).resolve().parent.parent
QA = sorted((ROOT / "qa").glob("*.yaml"))


@pytest.fixture(scope="module")
def scenarios() -> ScenarioSet:
    loaded, problems = ScenarioSet.load_dir(ROOT / "scenarios")
    assert problems == []
    return loaded


def problems_of(tmp_path: Path, scenarios: ScenarioSet, text: str) -> list[str]:
    path = tmp_path / "script.yaml"
    path.write_text(text, encoding="utf-8")
    script, problems = read_script(path, scenarios)
    assert (script is None) == bool(problems)
    return [str(p).replace(str(path), "S") for p in problems]


def test_the_qa_suite_is_valid_and_covers_both_shipped_scenarios(scenarios: ScenarioSet) -> None:
    scripts = load_scripts([ROOT / "qa"], scenarios)
    assert len(scripts) == len(QA) >= 8
    by_scenario = {s.scenario for s in scripts}
    assert by_scenario == {"telecom", "bank_card"}
    assert sum(s.scenario == "bank_card" for s in scripts) >= 2


@pytest.mark.parametrize("path", QA, ids=lambda p: p.stem)
def test_each_qa_script_passes_the_shipped_schema_as_plain_yaml(path: Path) -> None:
    validator = jsonschema.Draft202012Validator(schema())
    errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
    assert errors == []


def test_the_schema_is_valid_and_speaks_the_store_vocabulary() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    defs = schema()["$defs"]
    assert tuple(defs["channel"]["enum"]) == CHANNELS
    assert tuple(defs["contact"]["properties"]["direction"]["enum"]) == DIRECTIONS
    assert tuple(defs["contact"]["properties"]["outcome"]["enum"]) == OUTCOMES
    kinds = defs["customer"]["properties"]["identities"]["items"]["properties"]["kind"]["enum"]
    assert tuple(kinds) == IDENTITY_KINDS
    expect = defs["expect"]["properties"]
    assert set(m.AGENT_EXPECTATIONS) <= set(expect)
    step = defs["step"]["else"]
    assert [b["required"][0] for b in step["oneOf"]] == list(ACTIONS)


def test_a_script_reads_into_steps_and_expectations(scenarios: ScenarioSet) -> None:
    script, problems = read_script(ROOT / "qa" / "telecom_billing_regular.yaml", scenarios)
    assert problems == [] and script is not None
    assert script.scenario == "telecom" and script.caller is None and script.at is None
    assert script.customer is not None
    assert script.customer.data == {"account_number": ("20481632", "web")}
    outbound = script.customer.history[-1]
    assert (outbound.channel, outbound.direction, outbound.age) == (
        "outbound",
        "out",
        timedelta(days=1),
    )
    steps = script.calls[0].steps
    assert steps[0] == m.ExpectPrompt(m.PromptMatch("welcome.prompt"), steps[0].pos)
    assert steps[0].pos.line == 20
    assert isinstance(steps[2], m.Press) and steps[2].on_hearing and steps[2].keys == "1"
    assert steps[4] == m.ExpectPrompt(m.PromptMatch(text="account ending 1632"), steps[4].pos)
    names = [e.name for e in script.calls[0].expect]
    assert names[:3] == ["status", "service", "skills"]
    assert names[-2:] == ["agent", "screen_pop"]
    assert script.calls[0].hold_s == m.DEFAULT_HOLD_S  # it expects an agent: it waits for one


def test_schema_problems_point_at_the_line_and_say_what_is_wrong(
    tmp_path: Path, scenarios: ScenarioSet
) -> None:
    text = """\
scenario: telecom
colour: blue
customer:
  history:
    - {channel: fax, age: 3d}
    - {channel: voice, age: 3 days}
calls:
  - steps:
      - pres: 1
      - press: 1
        wait: 2
      - jump
      - {}
      - press: "12a"
      - during: main_menu.prompt
      - wait: -1
    expect:
      status: queued
      colour: blue
      agent: dana
"""
    assert problems_of(tmp_path, scenarios, text) == [
        "S:2:1: unknown key 'colour' in the script (expected: agents, at, caller, calls, "
        "customer, description, name, scenario)",
        "S:5:17: customer.history[1].channel must be one of voice, email, chat, sms, "
        "messenger, social, web, outbound, got 'fax'",
        "S:6:29: customer.history[2].age must be a duration such as 45s, 30m, 2h or "
        "3d, got '3 days'",
        "S:9:9: unknown step key 'pres' (a step has one of: expect_prompt, "
        "expect_menu, press, say, wait, silence, hangup; press may add during or "
        "on_hearing)",
        "S:10:9: calls[1].steps[2] has 2 actions (press, wait); one per step",
        "S:12:9: calls[1].steps[3]: unknown step 'jump' (a step is hangup, silence, "
        "or a mapping with one of: expect_prompt, expect_menu, press, say, wait, "
        "silence, hangup)",
        "S:13:9: calls[1].steps[4] has no action (one of: expect_prompt, expect_menu, "
        "press, say, wait, silence, hangup)",
        "S:14:16: calls[1].steps[5].press must be keys 0-9, * and #, got '12a'",
        "S:15:9: calls[1].steps[6] has no action (one of: expect_prompt, expect_menu, "
        "press, say, wait, silence, hangup)",
        "S:15:9: calls[1].steps[6]: 'during' only goes with 'press'",
        "S:16:15: calls[1].steps[7].wait must be > 0, got -1",
        "S:18:15: calls[1].expect.status must be one of transferred, completed, "
        "abandoned, failed, got 'queued'",
        "S:19:7: unknown expectation 'colour' (known: agent, channel_switch, "
        "collected, intent, pressed, priority, promoted, resumed, resumed_at, "
        "screen_pop, service, skills, status, stopped_at)",
    ]


def test_names_the_scenario_does_not_define_are_refused(
    tmp_path: Path, scenarios: ScenarioSet
) -> None:
    text = """\
scenario: telecom
calls:
  - steps:
      - expect_prompt: identify.confirm_promt
      - press: 1
        during: {id: nowhere.prompt}
      - press: 12
        on_hearing: true
      - expect_menu: {node: identify, order: [billing, bills], promoted: [fax]}
    expect:
      service: billings
      stopped_at: nowhere
      collected: {acount_number: "1"}
      channel_switch: pigeon
      pressed: ["main_menu:1", "mian_menu:2"]
"""
    got = problems_of(tmp_path, scenarios, text)
    assert got[0] == (
        "S:4:9: unknown prompt id 'identify.confirm_promt' in scenario telecom"
        " (did you mean identify.confirm_prompt or identify.prompt"
        " or identify.speech.retry_prompt?)"
    )
    assert got[1].startswith("S:5:9: unknown prompt id 'nowhere.prompt' in scenario telecom")
    assert got[2] == "S:7:16: press on_hearing takes one key, got '12'"
    assert got[3].startswith("S:9:9: unknown intent 'fax' in scenario telecom")
    assert got[4].startswith("S:9:9: unknown menu node 'identify' in scenario telecom")
    assert got[5].startswith("S:9:9: unknown menu option 'bills' in scenario telecom")
    assert got[6].startswith("S:11:7: unknown service 'billings' in scenario telecom")
    assert "did you mean billing?" in got[6]
    assert got[7].startswith("S:12:7: unknown node 'nowhere'")
    assert got[8].startswith("S:13:7: unknown field 'acount_number'")
    assert got[9].startswith("S:14:7: unknown channel switch 'pigeon'")
    assert got[10].startswith("S:15:7: unknown node 'mian_menu'")
    assert len(got) == 11


def test_an_unknown_scenario_and_a_yaml_error_are_positioned(
    tmp_path: Path, scenarios: ScenarioSet
) -> None:
    assert problems_of(tmp_path, scenarios, "scenario: pizza\ncalls:\n  - steps: []\n") == [
        f"S:1:11: unknown scenario 'pizza' in {ROOT / 'scenarios'} (known: bank_card, telecom)"
    ]
    assert problems_of(tmp_path, scenarios, "scenario: telecom\ncalls: [\n") == [
        "S:3:1: YAML syntax error: expected the node content, but found '<stream end>'"
    ]


def test_agent_and_screen_pop_expectations_are_read_and_checked_against_the_scenario(
    tmp_path: Path, scenarios: ScenarioSet
) -> None:
    good = """\
scenario: telecom
agents:
  - {login: ann, skills: {billing: 8}, endpoint: Local/1001@agent-sim}
calls:
  - hold: 30s
    steps: [hangup]
    expect:
      agent: {login: ann, skill: billing, waited_in: billing, abandoned: false}
      screen_pop: {name: Ann, data: {account_number: "1"}, path: [main_menu]}
"""
    assert problems_of(tmp_path, scenarios, good) == []
    (tmp_path / "good.yaml").write_text(good)
    script, _ = read_script(tmp_path / "good.yaml", scenarios)
    assert script is not None
    assert script.agents == (m.AgentSeed("ann", {"billing": 8}, None, "Local/1001@agent-sim"),)
    assert script.calls[0].hold_s == 30.0
    bad = """\
scenario: telecom
agents: [{login: ann, skills: {billing: 11}}]
calls:
  - steps: [hangup]
    expect:
      agent: {waited_in: biling, team: blue}
      screen_pop: {account_number: "1", path: [main_menu, nowhere], intent: biling}
"""
    assert problems_of(tmp_path, scenarios, bad) == [
        "S:2:41: agents[1].skills.billing must be <= 10, got 11",
        "S:6:34: unknown key 'team' in calls[1].expect.agent (expected: abandoned, login, "
        "skill, waited_in)",
        "S:7:20: unknown key 'account_number' in calls[1].expect.screen_pop (expected: data, "
        "intent, language, name, open_matters, path, promoted, segment, service, vip, why)",
    ]
    bad_names = bad.replace(", team: blue", "").replace('account_number: "1", ', "")
    bad_names = bad_names.replace("billing: 11", "billing: 8")
    assert problems_of(tmp_path, scenarios, bad_names) == [
        "S:6:7: unknown service 'biling' in scenario telecom (did you mean billing?)",
        "S:7:7: unknown intent 'biling' in scenario telecom (did you mean billing?)",
        "S:7:7: unknown node 'nowhere' in scenario telecom (known: after_hours, agent, "
        "agent_fallback, billing, billing_offer, billing_queue, callback_booked, cancel, "
        "cancel_queue, check_hours, goodbye, identified, ...)",
    ]


def test_directories_are_searched_and_missing_paths_reported(
    tmp_path: Path, scenarios: ScenarioSet
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "suite" / "more").mkdir(parents=True)
    good = "scenario: bank_card\ncalls:\n  - steps: [hangup]\n"
    (tmp_path / "suite" / "a.yaml").write_text(good)
    (tmp_path / "suite" / "more" / "b.yml").write_text(good)
    (tmp_path / "suite" / "notes.txt").write_text("not a script")
    scripts, problems = read_scripts(
        [tmp_path / "suite", tmp_path / "empty", tmp_path / "gone.yaml"], scenarios
    )
    assert [Path(s.path).name for s in scripts] == ["a.yaml", "b.yml"]
    assert [s.name for s in scripts] == ["a", "b"]
    assert [(Path(p.file).name, p.message) for p in problems] == [
        ("empty", "no caller scripts (*.yaml) here"),
        ("gone.yaml", "no such file or directory"),
    ]
    with pytest.raises(ScriptError) as raised:
        load_scripts([tmp_path / "gone.yaml"], scenarios)
    assert "gone.yaml:1:1: no such file or directory" in str(raised.value)


def test_call_times_take_an_offset_or_a_zone_name() -> None:
    assert call_time("2025-03-05T13:00+03:00") == datetime(2025, 3, 5, 10, 0, tzinfo=UTC)
    assert call_time("2025-03-05T10:00Z") == datetime(2025, 3, 5, 10, 0, tzinfo=UTC)
    moscow = call_time("2025-03-05 23:30 Europe/Moscow")
    assert moscow.astimezone(UTC) == datetime(2025, 3, 5, 20, 30, tzinfo=UTC)
    assert call_time("2025-03-05 13:00:00+0300").utcoffset() == timedelta(hours=3)
    assert call_time("2025-03-05T13:00-05:00").tzinfo == timezone(timedelta(hours=-5))
    with pytest.raises(ValueError, match="needs its zone"):
        call_time("2025-03-05T13:00")
    with pytest.raises(ValueError, match="unknown time zone"):
        call_time("2025-03-05 13:00 Mars/Olympus")


def test_a_time_without_zone_or_that_does_not_exist_is_a_problem(
    tmp_path: Path, scenarios: ScenarioSet
) -> None:
    base = "scenario: telecom\ncalls:\n  - steps: [hangup]\n"
    assert problems_of(tmp_path, scenarios, "at: 2025-03-05 13:00:00\n" + base) == [
        "S:1:5: at must be a time with its zone, such as 2025-03-05T13:00+03:00 or 2025-03-05"
        " 13:00 Europe/Moscow, got '2025-03-05T13:00:00'"
    ]
    assert problems_of(tmp_path, scenarios, "at: 2025-02-30T13:00Z\n" + base) == [
        "S:1:5: at: day is out of range for month"
    ]
