"""``omnivox validate``: check scenario files and directories, print problems, exit 1 on any."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ivr.scenario.source import Problem
from ivr.scenario.validate import validate_file


def scenario_files(paths: Sequence[str]) -> tuple[list[Path], list[Problem]]:
    """The ``*.yaml`` files named or inside the directories named."""
    files: list[Path] = []
    problems: list[Problem] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(path.glob("*.yaml"))
            if not found:
                problems.append(Problem(name, 1, 1, "no *.yaml scenario files in directory"))
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            problems.append(Problem(name, 1, 1, "no such file or directory"))
    return files, problems


def main(paths: list[str], out: TextIO | None = None) -> int:
    """Validate ``paths``; print ``file:line:column: message`` lines and a summary."""
    out = out or sys.stdout
    files, problems = scenario_files(paths)
    for path in files:
        problems.extend(validate_file(path))
    for problem in sorted(problems):
        print(problem, file=out)
    bad = len({p.file for p in problems})
    if problems:
        print(
            f"{len(problems)} problem(s) in {bad} file(s); {len(files)} file(s) checked", file=out
        )
        return 1
    print(f"{len(files)} scenario file(s) OK", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
