"""The routing file as the admin edits it: YAML text checked by ``parse_config`` with the
error's place in the text, and an atomic replace of the file."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

import yaml

from routing.core.config import ConfigError, RoutingConfig, parse_config

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class RoutingTextError(Exception):
    """Why the text was refused: ``path`` in the config (None for YAML syntax) and the
    1-based ``line``/``column`` in the text (None when there is no place to point at)."""

    def __init__(
        self,
        message: str,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        where = f"line {line}, column {column}: " if line else ""
        super().__init__(f"{where}{message}")
        self.message, self.path, self.line, self.column = message, path, line, column


def text_version(text: str) -> str:
    """A short hash of the file text: an edit based on an older text is refused."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_text(text: str) -> RoutingConfig:
    """The routing config of ``text``; :class:`RoutingTextError` with the place otherwise."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        if mark is None:
            raise RoutingTextError(f"not YAML: {problem}") from None
        raise RoutingTextError(
            f"not YAML: {problem}", None, mark.line + 1, mark.column + 1
        ) from None
    try:
        return parse_config(data)
    except ConfigError as exc:
        line, column = locate(text, exc.path, at_key="unknown key" in str(exc)) or (None, None)
        raise RoutingTextError(str(exc), exc.path, line, column) from None


def locate(text: str, path: str, *, at_key: bool = False) -> tuple[int, int] | None:
    """1-based (line, column) of the value at config ``path`` (``services.a.relax[1].after_s``)
    or, with ``at_key``, of its key; the nearest enclosing value when the path ends early;
    None if the text has no document."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    if node is None:
        return None
    steps = _STEP.findall(path)
    if steps and steps[0][0] == "config":
        steps = steps[1:]
    for i, (key, index) in enumerate(steps):
        found = _child(node, key, index)
        if found is None:
            break
        key_node, node = found
        if at_key and i == len(steps) - 1 and key_node is not None:
            node = key_node
    return node.start_mark.line + 1, node.start_mark.column + 1


def _child(node: yaml.Node, key: str, index: str) -> tuple[yaml.Node | None, yaml.Node] | None:
    if key and isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k, v
        return None
    if index and isinstance(node, yaml.SequenceNode) and int(index) < len(node.value):
        return None, node.value[int(index)]
    return None


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
