"""A set of scenarios loaded from one directory, reloadable file by file.

A file that fails to load keeps its last good version in service; calls hold the
:class:`Scenario` object they started with, so a reload never changes a call in flight.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ivr.scenario.loader import scenario_version
from ivr.scenario.model import Scenario
from ivr.scenario.source import Problem, ScenarioError
from ivr.scenario.validate import load_valid

SUFFIX = ".yaml"


@dataclass(frozen=True, slots=True)
class _Seen:
    """What a file was like when last read: its mtime and content hash."""

    mtime_ns: int
    version: str


class ScenarioSet:
    """Scenarios by name (the file name without ``.yaml``) from one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._scenarios: dict[str, Scenario] = {}
        self._seen: dict[str, _Seen] = {}

    @classmethod
    def load_dir(cls, directory: str | Path) -> tuple[ScenarioSet, list[Problem]]:
        """Every valid ``*.yaml`` in ``directory``, and the problems of the others."""
        scenarios = cls(Path(directory))
        problems: list[Problem] = []
        if not scenarios.directory.is_dir():
            return scenarios, [Problem(str(directory), 1, 1, "scenario directory does not exist")]
        for path in sorted(scenarios.directory.glob(f"*{SUFFIX}")):
            problems.extend(scenarios.reload(path.stem))
        return scenarios, problems

    def get(self, name: str) -> Scenario | None:
        """The scenario called ``name`` (the FastAGI path), or None."""
        return self._scenarios.get(name)

    def __getitem__(self, name: str) -> Scenario:
        scenario = self._scenarios.get(name)
        if scenario is None:
            raise KeyError(f"no scenario {name!r} in {self.directory}")
        return scenario

    def __contains__(self, name: object) -> bool:
        return name in self._scenarios

    def __iter__(self) -> Iterator[Scenario]:
        return iter(sorted(self._scenarios.values(), key=lambda s: s.name))

    def names(self) -> list[str]:
        return sorted(self._scenarios)

    def path_of(self, name: str) -> Path:
        return self.directory / f"{name}{SUFFIX}"

    def reload(self, name: str) -> list[Problem]:
        """Load ``name`` again; on failure the last good version stays and problems return.

        A file that disappeared is dropped (a scenario nobody can edit any more is not kept).
        """
        path = self.path_of(name)
        try:
            stat = path.stat()
            content = path.read_bytes()
        except FileNotFoundError:
            self._scenarios.pop(name, None)
            self._seen.pop(name, None)
            return []
        except OSError as exc:
            return [Problem(str(path), 1, 1, f"cannot read file: {exc.strerror or exc}")]
        self._seen[name] = _Seen(stat.st_mtime_ns, scenario_version(content))
        current = self._scenarios.get(name)
        if current is not None and current.version == self._seen[name].version:
            return []
        try:
            self._scenarios[name] = load_valid(path)
        except ScenarioError as exc:
            return list(exc.problems)
        return []

    def reload_changed(self) -> tuple[list[str], list[Problem]]:
        """Reload files whose mtime or content changed, load new ones, drop deleted ones.

        Returns the names whose served version changed (added, replaced or removed) and
        the problems of files that failed (those keep their last good version).
        """
        on_disk = {p.stem: p for p in self.directory.glob(f"*{SUFFIX}")}
        changed: list[str] = []
        problems: list[Problem] = []
        for name in sorted(set(on_disk) | set(self._seen) | set(self._scenarios)):
            seen = self._seen.get(name)
            path = on_disk.get(name)
            try:
                mtime = path.stat().st_mtime_ns if path else None
            except OSError:
                mtime = None
            if seen is not None and mtime == seen.mtime_ns:
                continue
            before = self._scenarios.get(name)
            problems.extend(self.reload(name))
            if self._scenarios.get(name) is not before:
                changed.append(name)
        return changed, problems
