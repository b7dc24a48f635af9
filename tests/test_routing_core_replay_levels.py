"""The replay measures service levels as the router does (``routing.core.service_level``):
a service behind target gets its ``sl_at_risk`` relaxation steps and its ``behind_lift``,
from the run's own abandons, answers and callers waiting past the target; ``omnivox
replay`` shows the difference."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from routing.core import parse_config
from routing.core.events import Abandon, AgentChange, Arrival, Event
from routing.core.model import AgentState
from routing.core.replay import replay
from routing.core.replay_cli import main

READY = AgentState.READY


def relaxing(step: bool) -> dict[str, Any]:
    """billing needs level 5, or 3 while behind (with ``step``); one level-3 agent."""
    billing: dict[str, Any] = {"requires": {"billing": 5}, "sl_target_s": 20, "behind_lift": 0}
    if step:
        billing["relax"] = [{"when": {"sl_at_risk": True}, "set": {"billing": 3}}]
    return {"services": {"billing": billing}, "agents": {"a1": {"skills": {"billing": 3}}}}


@pytest.mark.parametrize("step", [False, True])
def test_a_caller_past_the_target_lets_an_sl_at_risk_step_fire(step: bool) -> None:
    log: list[Event] = [
        AgentChange(0.0, "a1", READY),
        Arrival(0.0, "c1", "billing"),
        Abandon(100.0, "c1"),  # the caller's patience
    ]
    s = replay(log, parse_config(relaxing(step))).services["billing"]
    # behind just after 20 s (c1 is late): the step lets a1 take c1 then, not at 20 s
    assert (s.answered, s.abandoned) == ((1, 0) if step else (0, 1))
    if step:
        assert s.answered_in_sl == 0 and s.asa_s == pytest.approx(20.0)


def test_an_abandon_puts_the_service_behind_for_the_next_caller() -> None:
    log: list[Event] = [
        AgentChange(0.0, "a1", READY),
        Arrival(0.0, "c0", "billing"),
        Abandon(1.0, "c0"),  # billing at 0 %
        Arrival(2.0, "c1", "billing"),
    ]
    s = replay(log, parse_config(relaxing(True))).services["billing"]
    assert (s.answered, s.abandoned, s.answered_in_sl, s.asa_s) == (1, 1, 1, 0.0)


def two_services(lift: int) -> dict[str, Any]:
    service = {"requires": {"x": 1}, "sl_target_s": 20, "behind_lift": lift}
    return {
        "services": {"sales": dict(service), "repairs": dict(service)},
        "agents": {"a1": {"skills": {"x": 5}}},
    }


# repairs falls behind (r0 gives up); the one agent is ready at 12, when s1 waited 10 s and
# r1 2 s; whoever is second waits the first one's whole call (180 s) and misses the target.
BEHIND: list[Event] = [
    Arrival(0.0, "r0", "repairs"),
    Abandon(1.0, "r0"),
    Arrival(2.0, "s1", "sales"),
    Arrival(10.0, "r1", "repairs"),
    AgentChange(12.0, "a1", READY),
]


@pytest.mark.parametrize("lift", [0, 1])
def test_behind_lift_serves_the_behind_services_caller_first(lift: int) -> None:
    result = replay(BEHIND, parse_config(two_services(lift)))
    sales, repairs = result.services["sales"], result.services["repairs"]
    assert (sales.answered, repairs.answered) == (1, 1)
    assert (sales.answered_in_sl, repairs.answered_in_sl) == ((0, 1) if lift else (1, 0))


def test_omnivox_replay_shows_the_lift(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rows = [
        {"t": 0, "type": "arrive", "contact": "r0", "service": "repairs"},
        {"t": 1, "type": "abandon", "contact": "r0"},
        {"t": 2, "type": "arrive", "contact": "s1", "service": "sales"},
        {"t": 10, "type": "arrive", "contact": "r1", "service": "repairs"},
        {"t": 12, "type": "agent_state", "agent": "a1", "state": "ready"},
    ]
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    paths = []
    for lift in (0, 1):
        path = tmp_path / f"lift{lift}.json"
        path.write_text(json.dumps(two_services(lift)))
        paths.append(str(path))
    assert main([str(log), *paths, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    a, b = out["A"]["services"]["repairs"], out["B"]["services"]["repairs"]
    assert (a["sl_percent"], b["sl_percent"]) == (0.0, 50.0)  # r0 abandoned in both
