"""bench/routing.py: its double-assignment audit, and a small run against the real Redis."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "routing.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_routing", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_routing"] = module
    spec.loader.exec_module(module)
    return module


def test_audit_counts_an_agent_holding_two_contacts() -> None:
    count = _bench().count_double_assignments
    clean = [(1, "R", "a1", "c1"), (2, "R", "a2", "c2"), (3, "E", "a1", "c1"), (4, "R", "a1", "c3")]
    assert count(clean) == 0
    assert count(reversed(clean)) == 0  # replayed in sequence order, whatever the input order
    assert count([(1, "R", "a1", "c1"), (2, "R", "a1", "c2")]) == 1
    assert count([(1, "R", "a1", "c1"), (2, "E", "a1", "c1"), (3, "R", "a2", "c1")]) == 1
    # an end that belongs to another contact does not free the agent
    assert count([(1, "R", "a1", "c1"), (2, "E", "a1", "c9"), (3, "R", "a1", "c2")]) == 1


def test_population_matches_the_flags() -> None:
    population = _bench().build_population(300, 900, 12, seed=3)
    assert (len(population.agents), len(population.contacts)) == (300, 900)
    assert len(population.services) == 12
    for agent in population.agents:
        assert 1 <= len(agent.skills) <= 8
        for name in agent.services:
            assert set(population.services[name].requires) <= set(agent.skills)


@pytest.mark.redis
@pytest.mark.slow
def test_small_run_with_two_processes_has_no_double_assignment() -> None:
    args = ["--agents", "150", "--contacts", "400", "--services", "10", "--decisions", "600"]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args, "--processes", "1", "2"],
        capture_output=True,
        text=True,
        timeout=110,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["processes"] == 2 and last["agents"] == 150 and last["contacts"] == 400
    assert last["decisions"] >= 600 and last["double_assignments"] == 0
    assert last["decisions_per_s"] > 0 and 0 < last["p50_ms"] <= last["p99_ms"]
    assert "double_assignments" in done.stdout.splitlines()[-4]  # the table's header
