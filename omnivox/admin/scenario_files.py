"""Each scenario file of the directory: its problems as ``omnivox validate`` reports them, the
version on disk against the version serving calls, and the (maybe partial) parsed scenario
to draw. Reads files: call it in a thread."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivr.scenario import Problem, Scenario
from ivr.scenario.loader import read_scenario, scenario_version
from ivr.scenario.validate import validate_file
from ivr.scenario.validate_cli import scenario_files


@dataclass(frozen=True, slots=True)
class FileStatus:
    """One scenario file now: ``problems`` empty means valid."""

    name: str
    path: str
    problems: tuple[Problem, ...]
    file_version: str | None
    served_version: str | None  # the version calls get (the last good one); None: not served
    scenario: Scenario | None  # what the file parses to, for the diagram

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def summary(self) -> str:
        """One line: valid or refused, and what serves calls."""
        serving = (
            "not serving calls"
            if self.served_version is None
            else "serving this version"
            if self.served_version == self.file_version
            else f"serving version {self.served_version}"
        )
        if self.valid:
            if self.served_version is not None and self.served_version != self.file_version:
                return f"valid, not loaded yet ({serving}; reload)"
            return f"valid, {serving}"
        count = len(self.problems)
        kept = "the last good version keeps serving" if self.served_version else serving
        return f"refused: {count} problem{'s' if count > 1 else ''}; {kept}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.path,
            "valid": self.valid,
            "status": self.summary,
            "file_version": self.file_version,
            "served_version": self.served_version,
            "problems": [
                {"line": p.line, "column": p.column, "message": p.message, "text": str(p)}
                for p in self.problems
            ],
        }


def file_statuses(
    directory: Path, served: Mapping[str, Scenario]
) -> tuple[list[FileStatus], list[Problem]]:
    """Every ``*.yaml`` in ``directory`` against the ``served`` scenarios by name (a copy
    taken on the event loop), and the problems of the directory itself."""
    paths, general = scenario_files([str(directory)])
    out = [_status(path, served.get(path.stem)) for path in paths]
    on_disk = {s.name for s in out}
    for name, scenario in served.items():  # served, but its file is gone (until a reload)
        if name not in on_disk:
            gone = Problem(scenario.path, 1, 1, "file removed; the loaded version still serves")
            out.append(FileStatus(name, scenario.path, (gone,), None, scenario.version, scenario))
    return sorted(out, key=lambda s: s.name), general


def _status(path: Path, served: Scenario | None) -> FileStatus:
    try:
        version: str | None = scenario_version(path.read_bytes())
    except OSError:
        version = None
    problems = tuple(validate_file(path))
    scenario, _ = read_scenario(path)
    return FileStatus(
        path.stem,
        str(path),
        problems,
        version,
        served.version if served is not None else None,
        scenario,
    )
