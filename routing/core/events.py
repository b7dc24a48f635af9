"""Recorded routing events, one JSON object per line, for offline replay.

Every event has ``t`` (seconds, any origin) and ``type``::

    {"t": 0,  "type": "arrive", "contact": "c1", "service": "billing",
     "customer": "u1", "vip": false, "priority": 0, "required": {"lang_ru": 3},
     "language": "ru", "segment": "gold", "intent": "invoice"}     # all after service optional
    {"t": 0,  "type": "agent_state", "agent": "a1", "state": "ready", "reason": null}
    {"t": 3,  "type": "answer", "contact": "c1", "agent": "a1"}
    {"t": 93, "type": "end", "contact": "c1"}
    {"t": 40, "type": "abandon", "contact": "c2"}

Blank lines and lines starting with ``#`` are skipped. Errors name the source and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from routing.core.model import AgentState


class EventError(ValueError):
    """A malformed event; the message starts with ``source:line:``."""


@dataclass(frozen=True, slots=True)
class Arrival:
    t: float
    contact: str
    service: str
    customer: str | None = None
    vip: bool = False
    priority: int = 0
    required: Mapping[str, int] = field(default_factory=dict)
    language: str | None = None
    segment: str | None = None
    intent: str | None = None


@dataclass(frozen=True, slots=True)
class AgentChange:
    t: float
    agent: str
    state: AgentState
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Abandon:
    t: float
    contact: str


@dataclass(frozen=True, slots=True)
class Answer:
    t: float
    contact: str
    agent: str


@dataclass(frozen=True, slots=True)
class End:
    t: float
    contact: str


Event = Arrival | AgentChange | Abandon | Answer | End


def read_events(lines: Iterable[str], source: str = "events") -> list[Event]:
    """Parse JSON lines into events (file order kept)."""
    events: list[Event] = []
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        where = f"{source}:{number}"
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EventError(f"{where}: not JSON ({exc.msg})") from None
        events.append(parse_event(data, where))
    return events


def parse_event(data: object, where: str = "event") -> Event:
    """One event from a decoded JSON object."""
    if not isinstance(data, dict):
        raise EventError(f"{where}: an event must be a JSON object")
    t = data.get("t")
    if isinstance(t, bool) or not isinstance(t, int | float):
        raise EventError(f"{where}: t must be a number")
    kind = data.get("type")
    t = float(t)
    if kind == "arrive":
        return Arrival(
            t,
            _str(data, "contact", where),
            _str(data, "service", where),
            customer=_opt_str(data, "customer", where),
            vip=_bool(data, "vip", where),
            priority=_int(data, "priority", where),
            required=_levels(data.get("required", {}), where),
            language=_opt_str(data, "language", where),
            segment=_opt_str(data, "segment", where),
            intent=_opt_str(data, "intent", where),
        )
    if kind == "agent_state":
        raw = _str(data, "state", where)
        try:
            state = AgentState(raw)
        except ValueError:
            allowed = ", ".join(s.value for s in AgentState)
            raise EventError(f"{where}: state {raw!r} is not one of {allowed}") from None
        return AgentChange(t, _str(data, "agent", where), state, _opt_str(data, "reason", where))
    if kind == "abandon":
        return Abandon(t, _str(data, "contact", where))
    if kind == "answer":
        return Answer(t, _str(data, "contact", where), _str(data, "agent", where))
    if kind == "end":
        return End(t, _str(data, "contact", where))
    raise EventError(
        f"{where}: unknown event type {kind!r} (arrive, agent_state, abandon, answer, end)"
    )


def _str(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise EventError(f"{where}: {key} must be a non-empty string")
    return value


def _opt_str(data: dict[str, Any], key: str, where: str) -> str | None:
    return None if data.get(key) is None else _str(data, key, where)


def _bool(data: dict[str, Any], key: str, where: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise EventError(f"{where}: {key} must be true or false")
    return value


def _int(data: dict[str, Any], key: str, where: str) -> int:
    value = data.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise EventError(f"{where}: {key} must be an integer")
    return value


def _levels(value: object, where: str) -> dict[str, int]:
    if not isinstance(value, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 10 for v in value.values()
    ):
        raise EventError(f"{where}: required must map skills to levels 1..10")
    return dict(value)
