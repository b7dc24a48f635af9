"""Positioned YAML: every value keeps the line and column it came from, for error reports.

Built on PyYAML's composer (``yaml.compose``), whose nodes carry start marks; scalars are
resolved with PyYAML's safe constructor, so no tag can run code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor


@dataclass(frozen=True, slots=True, order=True)
class Pos:
    """A 1-based line and column in a scenario file."""

    line: int
    column: int


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong with a scenario file, at a place in it."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class ScenarioError(Exception):
    """A scenario file that cannot be used; ``problems`` lists every reason with its place."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True, slots=True)
class Y:
    """A YAML value with its position: a scalar, a list of ``Y`` or a dict of str -> ``Y``."""

    value: Any
    pos: Pos
    key_pos: Pos | None = None  # where the mapping key naming this value is

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_seq(self) -> bool:
        return isinstance(self.value, list)

    def plain(self) -> Any:
        """The value without positions."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def _pos(node: yaml.Node) -> Pos:
    return Pos(node.start_mark.line + 1, node.start_mark.column + 1)


TYPE_NAMES = {str: "text", int: "an integer", bool: "true/false", float: "a number"}


@dataclass
class Reader:
    """Reads positioned YAML of one file and collects problems instead of stopping at one."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    def error(self, pos: Pos | None, message: str) -> None:
        pos = pos or Pos(1, 1)
        self.problems.append(Problem(self.file, pos.line, pos.column, message))

    def compose(self, text: str) -> Y | None:
        """The document as ``Y``; a syntax error becomes a problem at its mark."""
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            pos = Pos(mark.line + 1, mark.column + 1) if mark else Pos(1, 1)
            what = exc.problem or exc.context or "YAML syntax error"
            self.error(pos, f"YAML syntax error: {what}")
            return None
        except yaml.YAMLError as exc:
            self.error(Pos(1, 1), f"YAML error: {exc}")
            return None
        if node is None:
            self.error(Pos(1, 1), "the file is empty")
            return None
        return self._convert(node, SafeConstructor(), None)

    def _convert(self, node: yaml.Node, ctor: SafeConstructor, key_pos: Pos | None) -> Y:
        pos = _pos(node)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Y] = {}
            for key_node, value_node in node.value:
                kpos = _pos(key_node)
                key = self._scalar(key_node, ctor)
                if isinstance(key, bool | dict | list) or key is None:
                    self.error(kpos, f"mapping key must be a name, got {key!r}")
                    continue
                name = str(key)
                if name in out:
                    self.error(kpos, f"duplicate key {name!r}")
                    continue
                out[name] = self._convert(value_node, ctor, kpos)
            return Y(out, pos, key_pos)
        if isinstance(node, yaml.SequenceNode):
            return Y([self._convert(item, ctor, None) for item in node.value], pos, key_pos)
        return Y(self._scalar(node, ctor), pos, key_pos)

    def _scalar(self, node: yaml.Node, ctor: SafeConstructor) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return {} if isinstance(node, yaml.MappingNode) else []
        try:
            return ctor.construct_object(node, deep=True)
        except ConstructorError as exc:
            self.error(_pos(node), f"bad value: {exc.problem}")
            return None

    # --- typed access -------------------------------------------------------------

    def mapping(self, y: Y | None, what: str) -> dict[str, Y] | None:
        if y is None:
            return None
        if not y.is_map:
            self.error(y.pos, f"{what} must be a mapping")
            return None
        return y.value

    def sequence(self, y: Y | None, what: str) -> list[Y]:
        if y is None:
            return []
        if not y.is_seq:
            self.error(y.pos, f"{what} must be a list")
            return []
        return y.value

    def check_keys(self, m: dict[str, Y], allowed: Iterable[str], what: str) -> None:
        allowed = set(allowed)
        for key, value in m.items():
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                self.error(value.key_pos, f"unknown key {key!r} in {what} (expected: {expected})")

    def require(self, m: dict[str, Y], key: str, what: str, pos: Pos) -> Y | None:
        if key not in m:
            self.error(pos, f"{what} needs {key!r}")
            return None
        return m[key]

    def scalar(self, y: Y | None, kind: type, what: str) -> Any:
        """``y``'s value if it is of ``kind`` (ints accepted as floats, never bools as ints)."""
        if y is None:
            return None
        value = y.value
        ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if kind is str and isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)  # a key or code written as 1, a version as 2.0
        if not ok:
            self.error(y.pos, f"{what} must be {TYPE_NAMES.get(kind, kind.__name__)}")
            return None
        return value

    def text(self, y: Y | None, what: str) -> str | None:
        value = self.scalar(y, str, what)
        if value is not None and not value.strip():
            self.error(y.pos if y else None, f"{what} must not be empty")
            return None
        return value

    def integer(self, y: Y | None, what: str, low: int | None = None) -> int | None:
        value = self.scalar(y, int, what)
        if value is not None and low is not None and value < low:
            self.error(y.pos if y else None, f"{what} must be >= {low}, got {value}")
            return None
        return value

    def texts(self, y: Y | None, what: str) -> tuple[str, ...]:
        """A name or a list of names."""
        if y is None:
            return ()
        items = y.value if y.is_seq else [y]
        out = [self.text(item, what) for item in items]
        return tuple(v for v in out if v is not None)
