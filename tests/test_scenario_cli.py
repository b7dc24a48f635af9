"""``omnivox validate``: sorted ``file:line:column: message`` lines, a summary, an exit code."""

from __future__ import annotations

import io
from pathlib import Path

from ivr.scenario.validate_cli import main
from tests.scenario_helpers import BASE, at, write

ROOT = Path(__file__).resolve().parent.parent


def run(paths: list[str]) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = main(paths, out)
    return code, out.getvalue().splitlines()


def test_shipped_directory_is_clean() -> None:
    code, lines = run([str(ROOT / "scenarios")])
    assert code == 0
    assert lines == ["2 scenario file(s) OK"]


def test_problems_are_sorted_across_files_and_exit_1(tmp_path: Path) -> None:
    good = write(tmp_path, BASE, name="good")
    bad_b = write(tmp_path, BASE.replace("next: bye", "next: nope"), name="b")
    bad_a = write(tmp_path, BASE.replace("kind: hangup", "kind: vanish"), name="a")
    code, lines = run([str(tmp_path)])
    assert code == 1
    positions = [line.split(":")[:3] for line in lines[:-1]]
    assert positions == sorted(positions, key=lambda p: (p[0], int(p[1]), int(p[2])))
    assert lines[0].startswith(at(bad_a, "vanish") + "unknown node kind 'vanish'")
    assert len([line for line in lines if line.startswith(str(bad_a))]) == 1
    assert at(bad_b, "nope") + "unknown target node 'nope' (next of 'hello')" in lines
    assert not any(line.startswith(str(good)) for line in lines)
    assert lines[-1] == f"{len(lines) - 1} problem(s) in 2 file(s); 3 file(s) checked"


def test_files_and_directories_mix_and_missing_paths_are_problems(tmp_path: Path) -> None:
    good = write(tmp_path, BASE, name="good")
    empty = tmp_path / "empty"
    empty.mkdir()
    code, lines = run([str(good), str(tmp_path / "missing.yaml"), str(empty)])
    assert code == 1
    assert f"{tmp_path / 'missing.yaml'}:1:1: no such file or directory" in lines
    assert f"{empty}:1:1: no *.yaml scenario files in directory" in lines
    assert lines[-1] == "2 problem(s) in 2 file(s); 1 file(s) checked"


def test_single_good_file(tmp_path: Path) -> None:
    code, lines = run([str(write(tmp_path, BASE))])
    assert (code, lines) == (0, ["1 scenario file(s) OK"])
