"""The small, safe condition language of ``condition`` nodes: data in, a boolean out.

YAML forms (keys of one mapping must all hold):
``{vip: true}``, ``{segment: [gold, platinum]}``, ``{language: ru}``, ``{hours: business}``,
``{known: true}`` (the caller is a known customer),
``{field: account_number, present: true}`` / ``equals: x`` / ``in: [x, y]`` / ``matches: re``,
``{attribute: plan, equals: fiber}``, and ``all: [...]``, ``any: [...]``, ``not: {...}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ivr.scenario.hours import Calendar
from ivr.scenario.source import Pos


@dataclass(frozen=True, slots=True)
class Vip:
    value: bool


@dataclass(frozen=True, slots=True)
class Segment:
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Language:
    values: tuple[str, ...]
    pos: Pos = field(default=Pos(1, 1), compare=False)


@dataclass(frozen=True, slots=True)
class Hours:
    calendar: str
    pos: Pos = field(default=Pos(1, 1), compare=False)


@dataclass(frozen=True, slots=True)
class Known:
    value: bool


@dataclass(frozen=True, slots=True)
class Value:
    """A test on collected/profile data (``source="field"``) or a customer attribute."""

    source: str  # "field" or "attribute"
    name: str
    present: bool | None = None
    equals: tuple[str, ...] | None = None  # any of
    matches: str | None = None
    pos: Pos = field(default=Pos(1, 1), compare=False)


@dataclass(frozen=True, slots=True)
class All:
    tests: tuple[Test, ...]


@dataclass(frozen=True, slots=True)
class Any_:
    tests: tuple[Test, ...]


@dataclass(frozen=True, slots=True)
class Not:
    test: Test


Test = Vip | Segment | Language | Hours | Known | Value | All | Any_ | Not


@dataclass(frozen=True, slots=True)
class Facts:
    """What a condition may look at during a call."""

    known: bool
    vip: bool
    segment: str | None
    language: str
    attributes: Mapping[str, Any]
    data: Mapping[str, str]  # collected data over the caller's profile data
    now: datetime
    calendars: Mapping[str, Calendar]


def evaluate(test: Test, facts: Facts) -> bool:
    """Whether ``test`` holds; an unknown calendar counts as closed."""
    match test:
        case Vip(value):
            return facts.vip == value
        case Segment(values):
            return facts.segment in values
        case Language(values):
            return facts.language in values
        case Known(value):
            return facts.known == value
        case Hours(name):
            calendar = facts.calendars.get(name)
            return calendar is not None and calendar.is_open(facts.now)
        case Value():
            return _value_holds(test, facts)
        case All(tests):
            return all(evaluate(t, facts) for t in tests)
        case Any_(tests):
            return any(evaluate(t, facts) for t in tests)
        case Not(inner):
            return not evaluate(inner, facts)
    raise TypeError(f"not a condition: {test!r}")


def _value_holds(test: Value, facts: Facts) -> bool:
    source = facts.data if test.source == "field" else facts.attributes
    raw = source.get(test.name)
    present = raw is not None and raw != ""
    if test.present is not None and present != test.present:
        return False
    text = "" if raw is None else str(raw).lower() if isinstance(raw, bool) else str(raw)
    if test.equals is not None and (not present or text not in test.equals):
        return False
    return test.matches is None or (present and re.fullmatch(test.matches, text) is not None)


def walk(test: Test) -> list[Test]:
    """``test`` and every test nested in it."""
    out: list[Test] = [test]
    match test:
        case All(tests) | Any_(tests):
            for t in tests:
                out.extend(walk(t))
        case Not(inner):
            out.extend(walk(inner))
    return out
