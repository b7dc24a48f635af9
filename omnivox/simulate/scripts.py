"""Reading caller scripts: files or directories of ``*.yaml``, every problem with its place.

``read_scripts`` never stops at the first bad file: it returns the scripts that are valid and
the problems (``file:line:column: message``) of all the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from ivr.scenario import ScenarioSet
from ivr.scenario.source import Pos, Problem, Reader
from omnivox.simulate import parse, static
from omnivox.simulate.model import Script
from omnivox.simulate.schema import schema_problems

SUFFIXES = (".yaml", ".yml")


class ScriptError(Exception):
    """Caller scripts that cannot run; ``problems`` lists every reason with its place."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def script_files(paths: Sequence[str | Path]) -> tuple[list[Path], list[Problem]]:
    """The script files named or found (sorted) under the directories named."""
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
            if not found:
                problems.append(Problem(str(path), 1, 1, "no caller scripts (*.yaml) here"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), 1, 1, "no such file or directory"))
    return list(dict.fromkeys(files)), problems


def read_script(path: str | Path, scenarios: ScenarioSet) -> tuple[Script | None, list[Problem]]:
    """One script and its problems (a script is returned only when it has none)."""
    path = Path(path)
    file = str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        return None, [Problem(file, 1, 1, f"cannot read file: {exc.strerror or exc}")]
    except UnicodeDecodeError as exc:
        return None, [Problem(file, 1, 1, f"file is not UTF-8: {exc.reason}")]
    reader = Reader(file)
    root = reader.compose(text)
    if root is None or reader.problems:
        return None, reader.problems
    problems = schema_problems(root, file)
    if problems:
        return None, problems

    def error(pos: Pos, message: str) -> None:
        problems.append(Problem(file, pos.line, pos.column, message))

    script = parse.script(root, file, path.stem, error)
    scenario = scenarios.get(script.scenario)
    if scenario is None:
        known = ", ".join(scenarios.names()) or "none"
        error(
            root.value["scenario"].pos,
            f"unknown scenario {script.scenario!r} in {scenarios.directory} (known: {known})",
        )
    else:
        static.check(script, scenario, error)
    if problems:
        return None, sorted(set(problems))
    return script, []


def read_scripts(
    paths: Sequence[str | Path], scenarios: ScenarioSet
) -> tuple[list[Script], list[Problem]]:
    """Every valid script under ``paths`` and the problems of the rest."""
    files, problems = script_files(paths)
    scripts: list[Script] = []
    for file in files:
        script, found = read_script(file, scenarios)
        problems.extend(found)
        if script is not None:
            scripts.append(script)
    return scripts, problems


def load_scripts(paths: Sequence[str | Path], scenarios: ScenarioSet) -> list[Script]:
    """Every script under ``paths``; :class:`ScriptError` if any of them has a problem."""
    scripts, problems = read_scripts(paths, scenarios)
    if problems:
        raise ScriptError(problems)
    return scripts
