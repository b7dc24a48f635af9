"""The scenario set: load a directory, look up by name, reload keeping the last good version."""

from __future__ import annotations

import os
from pathlib import Path

from ivr.scenario.repository import ScenarioSet
from tests.scenario_helpers import BASE, write

ROOT = Path(__file__).resolve().parent.parent


def bump_mtime(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_shipped_directory_loads() -> None:
    scenarios, problems = ScenarioSet.load_dir(ROOT / "scenarios")
    assert problems == []
    assert scenarios.names() == ["bank_card", "telecom"]
    assert scenarios["telecom"].entry == "start"
    assert scenarios.get("nope") is None
    assert "bank_card" in scenarios


def test_bad_file_is_reported_and_not_served(tmp_path: Path) -> None:
    write(tmp_path, BASE, name="good")
    write(tmp_path, BASE.replace("next: bye", "next: nope"), name="bad")
    scenarios, problems = ScenarioSet.load_dir(tmp_path)
    assert scenarios.names() == ["good"]
    assert {p.file for p in problems} == {str(tmp_path / "bad.yaml")}
    assert any("unknown target node 'nope'" in p.message for p in problems)


def test_reload_keeps_last_good_version_and_calls_keep_theirs(tmp_path: Path) -> None:
    path = write(tmp_path, BASE, name="flow")
    scenarios, _ = ScenarioSet.load_dir(tmp_path)
    in_flight = scenarios["flow"]

    path.write_text(BASE.replace("Hello.", "Hi there."), encoding="utf-8")
    bump_mtime(path)
    changed, problems = scenarios.reload_changed()
    assert (changed, problems) == (["flow"], [])
    assert scenarios["flow"].version != in_flight.version
    assert ("en", "Hi there.") in scenarios["flow"].all_prompt_texts()
    assert ("en", "Hello.") in in_flight.all_prompt_texts()  # the old object is untouched

    good = scenarios["flow"]
    path.write_text(BASE.replace("next: bye", "next: [oops"), encoding="utf-8")
    bump_mtime(path)
    changed, problems = scenarios.reload_changed()
    assert changed == []
    assert len(problems) == 1 and "YAML syntax error" in problems[0].message
    assert scenarios["flow"] is good
    assert scenarios.reload_changed() == ([], [])  # unchanged since: not re-read


def test_reload_changed_adds_and_drops_files(tmp_path: Path) -> None:
    first = write(tmp_path, BASE, name="first")
    scenarios, _ = ScenarioSet.load_dir(tmp_path)
    write(tmp_path, BASE, name="second")
    first.unlink()
    changed, problems = scenarios.reload_changed()
    assert (sorted(changed), problems) == (["first", "second"], [])
    assert scenarios.names() == ["second"]


def test_same_content_with_new_mtime_keeps_the_object(tmp_path: Path) -> None:
    path = write(tmp_path, BASE, name="flow")
    scenarios, _ = ScenarioSet.load_dir(tmp_path)
    before = scenarios["flow"]
    bump_mtime(path)
    assert scenarios.reload_changed() == ([], [])
    assert scenarios["flow"] is before


def test_missing_directory_is_a_problem(tmp_path: Path) -> None:
    scenarios, problems = ScenarioSet.load_dir(tmp_path / "nope")
    assert scenarios.names() == []
    assert problems[0].message == "scenario directory does not exist"
