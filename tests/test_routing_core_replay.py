"""Offline replay: a small hand-computed event log, configuration changes that move the
numbers, and the ``omnivox replay`` entry point on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routing.core import parse_config
from routing.core.events import Abandon, AgentChange, Arrival, EventError, read_events
from routing.core.model import AgentState
from routing.core.replay import compare, replay
from routing.core.replay_cli import main

# One billing agent. c1 talks 0-30, c2 waits 5-30 then talks 30-60, c3 gives up at 40.
LOG = [
    {"t": 0, "type": "agent_state", "agent": "a1", "state": "ready"},
    {"t": 0, "type": "agent_state", "agent": "a2", "state": "ready"},
    {"t": 0, "type": "arrive", "contact": "c1", "service": "billing", "customer": "u1"},
    {"t": 0, "type": "answer", "contact": "c1", "agent": "a1"},
    {"t": 5, "type": "arrive", "contact": "c2", "service": "billing", "customer": "u2"},
    {"t": 10, "type": "arrive", "contact": "c3", "service": "billing", "customer": "u3"},
    {"t": 30, "type": "end", "contact": "c1"},
    {"t": 30, "type": "answer", "contact": "c2", "agent": "a1"},
    {"t": 40, "type": "abandon", "contact": "c3"},
    {"t": 60, "type": "end", "contact": "c2"},
]
ONE_AGENT = {
    "services": {"billing": {"requires": {"billing": 5}, "sl_target_s": 20}},
    "agents": {"a1": {"skills": {"billing": 5}}},
}
TWO_AGENTS = {
    "services": {"billing": {"requires": {"billing": 5}, "sl_target_s": 20}},
    "agents": {"a1": {"skills": {"billing": 5}}, "a2": {"skills": {"billing": 7}}},
}


def events():
    return read_events([json.dumps(e) for e in LOG], "log.jsonl")


def test_events_parse() -> None:
    parsed = events()
    assert parsed[0] == AgentChange(0.0, "a1", AgentState.READY)
    assert parsed[2] == Arrival(0.0, "c1", "billing", customer="u1")
    assert parsed[8] == Abandon(40.0, "c3")


def test_one_agent_hand_computed() -> None:
    # c1 answered at 0 (wait 0); c2 at 30 (wait 25 > 20); c3 waits from 10, abandons at 40.
    result = replay(events(), parse_config(ONE_AGENT))
    s = result.services["billing"]
    assert (s.offered, s.answered, s.abandoned, s.answered_in_sl, s.unfinished) == (3, 2, 1, 1, 0)
    assert s.sl_percent == pytest.approx(100 / 3)
    assert s.asa_s == pytest.approx(12.5)
    assert s.abandon_percent == pytest.approx(100 / 3)
    assert result.unknown_agents == frozenset({"a2"})


def test_a_second_agent_saves_the_abandon() -> None:
    # c1 -> a1 at 0 (the closer fit: excess 0 against a2's 2);
    # c2 -> a2 at 5 (wait 0); c3 waits from 10 until a1 is free at 30 (wait 20, within 20 s).
    # c3 was never answered in the log: it talks the service's mean recorded talk, 30 s.
    s = replay(events(), parse_config(TWO_AGENTS)).services["billing"]
    assert (s.offered, s.answered, s.abandoned, s.answered_in_sl) == (3, 3, 0, 3)
    assert s.sl_percent == 100.0
    assert s.asa_s == pytest.approx(20 / 3)
    assert s.abandon_percent == 0.0


def test_wrap_up_time_delays_the_next_call() -> None:
    config = json.loads(json.dumps(ONE_AGENT))
    config["services"]["billing"]["wrap_up_s"] = 15
    # a1 is free again at 45: c3 abandoned at 40; c2 is answered at 45 (wait 40).
    s = replay(events(), parse_config(config)).services["billing"]
    assert (s.answered, s.abandoned, s.answered_in_sl) == (2, 1, 1)
    assert s.asa_s == pytest.approx(20.0)


def test_relaxation_thresholds_route_without_any_other_event() -> None:
    log = [
        AgentChange(0.0, "junior", AgentState.READY),
        Arrival(0.0, "c1", "billing"),
    ]
    strict = {
        "services": {"billing": {"requires": {"billing": 5}}},
        "agents": {"junior": {"skills": {"billing": 3}}},
    }
    relaxed = json.loads(json.dumps(strict))
    relaxed["services"]["billing"]["relax"] = [{"after_s": 30, "set": {"billing": 3}}]
    s = replay(log, parse_config(strict)).services["billing"]
    assert (s.answered, s.unfinished) == (0, 1)
    s = replay(log, parse_config(relaxed)).services["billing"]
    assert (s.answered, s.unfinished, s.asa_s) == (1, 0, 30.0)


def test_overflow_is_counted_where_the_contact_entered() -> None:
    config = {
        "services": {
            "billing": {
                "requires": {"billing": 5},
                "relax": [{"after_s": 45, "overflow_to": "general"}],
            },
            "general": {"requires": {"general": 1}},
        },
        "agents": {"g": {"skills": {"general": 2}}},
    }
    log = [AgentChange(0.0, "g", AgentState.READY), Arrival(5.0, "c1", "billing")]
    result = replay(log, parse_config(config))
    s = result.services["billing"]
    assert (s.answered, s.overflowed, s.asa_s) == (1, 1, 45.0)
    assert result.services["general"].offered == 0


def test_a_break_during_a_call_starts_after_it() -> None:
    config = parse_config(ONE_AGENT)
    log = [
        AgentChange(0.0, "a1", AgentState.READY),
        Arrival(0.0, "c1", "billing"),
        AgentChange(10.0, "a1", AgentState.NOT_READY, "lunch"),
        Arrival(20.0, "c2", "billing"),
        AgentChange(100.0, "a1", AgentState.READY),
    ]
    # c1 talks the default 180 s (no talk recorded): a1 is busy until 180, then on lunch;
    # c2 is answered at 180, not at 100 when a1 said ready again (a1 was still talking).
    s = replay(log, config).services["billing"]
    assert (s.answered, s.asa_s) == (2, pytest.approx((0 + 160) / 2))


def row(table: str, metric: str) -> list[str]:
    """The A, B and B-A cells of the first row for ``metric`` (the billing service)."""
    line = next(line for line in table.splitlines() if f" {metric} " in line)
    return line.split()[-3:]


def test_compare_prints_both_runs_side_by_side() -> None:
    table = compare(events(), parse_config(ONE_AGENT), parse_config(TWO_AGENTS))
    lines = table.splitlines()
    assert lines[0].split() == ["service", "metric", "A", "B", "B-A"]
    assert lines[1].split() == ["billing", "offered", "3", "3", "+0"]
    assert row(table, "abandoned") == ["1", "0", "-1"]
    assert row(table, "service level %") == ["33.3", "100.0", "+66.7"]
    assert row(table, "ASA s") == ["12.5", "6.7", "-5.8"]
    assert row(table, "abandon %") == ["33.3", "0.0", "-33.3"]
    assert any(line.startswith("all ") for line in lines)


def test_event_errors_name_the_line() -> None:
    with pytest.raises(EventError, match="^log.jsonl:2: unknown event type 'hangup'"):
        read_events(
            ['{"t": 0, "type": "end", "contact": "c1"}', '{"t": 1, "type": "hangup"}'], "log.jsonl"
        )
    with pytest.raises(EventError, match="^log.jsonl:1: not JSON"):
        read_events(["{t: 0"], "log.jsonl")
    with pytest.raises(EventError, match="^log.jsonl:3: t must be a number"):
        read_events(["", "# comment", '{"t": "x", "type": "end"}'], "log.jsonl")
    with pytest.raises(EventError, match="state 'lunch' is not one of"):
        read_events(['{"t": 0, "type": "agent_state", "agent": "a", "state": "lunch"}'], "l")


def write(tmp_path: Path) -> tuple[Path, Path, Path]:
    log = tmp_path / "events.jsonl"
    log.write_text("\n".join(json.dumps(e) for e in LOG) + "\n")
    a = tmp_path / "a.yaml"
    a.write_text(
        "services:\n  billing: {requires: {billing: 5}, sl_target_s: 20}\n"
        "agents:\n  a1: {skills: {billing: 5}}\n"
    )
    b = tmp_path / "b.json"
    b.write_text(json.dumps(TWO_AGENTS))
    return log, a, b


def test_cli_prints_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log, a, b = write(tmp_path)
    assert main([str(log), str(a), str(b), "--labels", "now", "two"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["service", "metric", "now", "two", "two-now"]
    assert row(out, "abandon %") == ["33.3", "0.0", "-33.3"]
    assert "now: agents in the events but not in the config: a2" in out


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log, a, b = write(tmp_path)
    assert main([str(log), str(a), str(b), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["A"]["services"]["billing"]["answered"] == 2
    assert data["B"]["total"]["sl_percent"] == 100.0


def test_cli_errors_are_one_line_with_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log, a, b = write(tmp_path)
    a.write_text("services:\n  billing:\n    relax:\n      - {after_s: soon, set: {x: 1}}\n")
    assert main([str(log), str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert err == f"omnivox replay: {a}: services.billing.relax[0].after_s: must be a number\n"
    a.write_text("services: [\n")
    assert main([str(log), str(a), str(b)]) == 2
    assert f"{a}:2: not valid YAML/JSON" in capsys.readouterr().err
    log.write_text('{"t": 0, "type": "agent_state", "agent": "a1", "state": "ready"}\n{oops\n')
    assert main([str(log), str(b), str(b)]) == 2
    assert f"omnivox replay: {log}:2: not JSON" in capsys.readouterr().err
    assert main([str(tmp_path / "missing.jsonl"), str(b), str(b)]) == 2
    assert "missing.jsonl: No such file or directory" in capsys.readouterr().err
