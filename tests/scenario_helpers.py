"""Helpers for the scenario tests: inline scenario files and exact positions in them."""

from __future__ import annotations

import textwrap
from pathlib import Path

BASE = """\
languages: [en]
default_language: en
entry: hello
nodes:
  hello:
    kind: say
    prompt: {en: Hello.}
    next: bye
  bye:
    kind: hangup
"""


def write(tmp_path: Path, text: str, name: str = "flow") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def where(path: Path, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the ``occurrence``-th ``needle`` in the file."""
    seen = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        column = line.find(needle)
        while column >= 0:
            seen += 1
            if seen == occurrence:
                return number, column + 1
            column = line.find(needle, column + 1)
    raise AssertionError(f"{needle!r} not in {path}")


def at(path: Path, needle: str, occurrence: int = 1) -> str:
    """The ``file:line:column`` prefix of a problem reported at ``needle``."""
    line, column = where(path, needle, occurrence)
    return f"{path}:{line}:{column}: "
