"""The caller-script JSON Schema (``schema.json``, shipped for editors and CI) applied to
positioned YAML: every schema error becomes a ``file:line:column: message`` problem."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from ivr.scenario.source import Pos, Problem, Y

ACTIONS = ("expect_prompt", "expect_menu", "press", "say", "wait", "silence", "hangup")
TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


@cache
def schema() -> dict[str, Any]:
    """The caller-script schema as shipped in the package."""
    text = resources.files("omnivox.simulate").joinpath("schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def plain(y: Y) -> Any:
    """``y`` without positions; YAML timestamps become ISO text (the schema speaks JSON)."""
    if isinstance(y.value, dict):
        return {k: plain(v) for k, v in y.value.items()}
    if isinstance(y.value, list):
        return [plain(v) for v in y.value]
    if isinstance(y.value, datetime | date):
        return y.value.isoformat()
    return y.value


def schema_problems(root: Y, file: str) -> list[Problem]:
    """Every place where the document breaks the schema, one clear message each."""
    errors = list(_validator().iter_errors(plain(root)))
    unknown_at = {tuple(e.absolute_path) for e in errors if e.validator == "additionalProperties"}
    out: set[Problem] = set()
    for error in errors:
        path = tuple(error.absolute_path)
        if error.validator == "oneOf" and path in unknown_at:
            continue  # "unknown key" already says what is wrong with this step
        for pos, message in _explain(error, root):
            out.add(Problem(file, pos.line, pos.column, message))
    return sorted(out)


def node_at(root: Y, path: Sequence[str | int]) -> Y:
    """The positioned value at ``path`` (as deep as it exists)."""
    y = root
    for part in path:
        child = None
        if isinstance(part, str) and y.is_map:
            child = y.value.get(part)
        elif isinstance(part, int) and y.is_seq and 0 <= part < len(y.value):
            child = y.value[part]
        if child is None:
            break
        y = child
    return y


def describe_path(path: Sequence[str | int]) -> str:
    """``calls[1].steps[2].press`` (lists counted from 1), or "the script" for the top."""
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "the script"


def _explain(error: ValidationError, root: Y) -> Iterator[tuple[Pos, str]]:
    path = list(error.absolute_path)
    where = describe_path(path)
    here = node_at(root, path)
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        for key in instance:
            if key in known:
                continue
            child = here.value.get(key) if here.is_map else None
            pos = (child.key_pos or child.pos) if child is not None else here.pos
            yield pos, _unknown_key(key, path, known)
    elif kind == "required":
        for key in value:
            if key not in instance:
                yield here.pos, f"{where} needs {key!r}"
    elif kind == "oneOf" and _is_step(path):
        given = [a for a in ACTIONS if a in instance]
        if not given:
            yield here.pos, f"{where} has no action (one of: {', '.join(ACTIONS)})"
        else:
            yield here.pos, f"{where} has {len(given)} actions ({', '.join(given)}); one per step"
    elif kind == "enum" and _is_step(path):
        yield (
            here.pos,
            (
                f"{where}: unknown step {instance!r} (a step is hangup, silence, or a mapping "
                f"with one of: {', '.join(ACTIONS)})"
            ),
        )
    elif kind == "type":
        wanted = value if isinstance(value, list) else [value]
        words = " or ".join(TYPE_WORDS.get(t, t) for t in wanted)
        yield here.pos, f"{where} must be {words}"
    elif kind == "enum":
        yield here.pos, f"{where} must be one of {', '.join(map(str, value))}, got {instance!r}"
    elif kind == "const":
        yield here.pos, f"{where} must be {json.dumps(value)}"
    elif kind == "pattern":
        wanted = error.schema.get("x-message", f"text matching {value}")
        yield here.pos, f"{where} must be {wanted}, got {instance!r}"
    elif kind == "minItems":
        yield here.pos, f"{where} needs at least {value} item{'s' if value != 1 else ''}"
    elif kind == "minLength":
        yield here.pos, f"{where} must not be empty"
    elif kind in ("minProperties", "maxProperties") and set(error.schema.get("properties", {})) == {
        "id",
        "text",
    }:
        yield here.pos, f"{where} needs exactly one of id or text"
    elif kind == "dependentRequired":
        for key, needs in value.items():
            if key in instance:
                missing = [n for n in needs if n not in instance]
                if missing:
                    yield here.pos, f"{where}: {key!r} only goes with {' and '.join(missing)!r}"
    elif kind in ("minimum", "exclusiveMinimum", "maximum"):
        word = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<="}[kind]
        yield here.pos, f"{where} must be {word} {value}, got {instance!r}"
    else:
        yield here.pos, f"{where}: {error.message}"


def _is_step(path: Sequence[str | int]) -> bool:
    return len(path) == 4 and path[0] == "calls" and path[2] == "steps"


def _unknown_key(key: str, path: Sequence[str | int], known: list[str]) -> str:
    if path and path[-1] == "expect":
        return f"unknown expectation {key!r} (known: {', '.join(known)})"
    if _is_step(path):
        return (
            f"unknown step key {key!r} (a step has one of: {', '.join(ACTIONS)}; "
            "press may add during or on_hearing)"
        )
    return f"unknown key {key!r} in {describe_path(path)} (expected: {', '.join(known)})"
