"""Checks on values before they reach the database; each failure names its field.

Pure functions, no I/O. The vocabularies below are the ones every part of Omnivox shares.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from customers.exceptions import InvalidValue

CHANNELS = ("voice", "email", "chat", "sms", "messenger", "social", "web", "outbound")
DIRECTIONS = ("in", "out")
OUTCOMES = ("resolved", "unresolved", "abandoned", "transferred", "escalated", "callback", "failed")
JOURNEY_STATUSES = ("in_progress", "completed", "transferred", "abandoned", "failed")
AGENT_ROLES = ("agent", "supervisor", "admin")
ACTOR_KINDS = ("api_key", "agent", "system")
# what an API key (or an agent's role) may do on the omnichannel API
API_SCOPES = (
    "interactions:write",
    "customers:read",
    "customers:write",
    "merges:undo",
    "privacy",
    "calls:read",
    "agents:write",  # stand-in agents for QA (omnivox simulate --server-url)
)
MIN_LEVEL, MAX_LEVEL = 1, 10


def one_of(field: str, value: object, allowed: Collection[str]) -> str:
    """``value`` if it is in ``allowed``."""
    if not isinstance(value, str) or value not in allowed:
        raise InvalidValue(field, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def optional_one_of(field: str, value: object, allowed: Collection[str]) -> str | None:
    return None if value is None else one_of(field, value, allowed)


def text(field: str, value: object, *, max_length: int = 200) -> str:
    """A non-empty, stripped string of at most ``max_length`` characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(field, f"expected non-empty text, got {value!r}")
    value = value.strip()
    if len(value) > max_length:
        raise InvalidValue(field, f"longer than {max_length} characters")
    return value


def optional_text(field: str, value: object, *, max_length: int = 200) -> str | None:
    return None if value is None else text(field, value, max_length=max_length)


def aware(field: str, value: object) -> datetime:
    """A timezone-aware datetime, converted to UTC."""
    if not isinstance(value, datetime):
        raise InvalidValue(field, f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(field, "datetime must be timezone-aware (e.g. datetime.now(UTC))")
    return value.astimezone(UTC)


def optional_aware(field: str, value: object) -> datetime | None:
    return None if value is None else aware(field, value)


def integer(field: str, value: object, *, low: int | None = None, high: int | None = None) -> int:
    """An int (not a bool) within ``low``..``high`` inclusive."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(field, f"expected an integer, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"{'' if low is None else low}..{'' if high is None else high}"
        raise InvalidValue(field, f"{value} is outside {bounds}")
    return value


def number(field: str, value: object, *, low: float, high: float) -> float:
    """A real number within ``low``..``high`` inclusive."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValue(field, f"expected a number, got {value!r}")
    if not low <= value <= high:
        raise InvalidValue(field, f"{value} is outside {low:g}..{high:g}")
    return float(value)


def flag(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue(field, f"expected true or false, got {value!r}")
    return value


def mapping(field: str, value: object) -> dict[str, Any]:
    """A JSON object: a mapping with string keys."""
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise InvalidValue(field, f"expected a mapping with text keys, got {type(value).__name__}")
    return dict(value)


def sequence(field: str, value: object) -> list[Any]:
    """A JSON array."""
    if not isinstance(value, list | tuple):
        raise InvalidValue(field, f"expected a list, got {type(value).__name__}")
    return list(value)


def skill_levels(field: str, value: object) -> dict[str, int]:
    """A ``{skill name: level 1..10}`` mapping."""
    levels = mapping(field, value)
    return {
        text(f"{field} skill name", name, max_length=64): integer(
            f"{field}[{name!r}] level", level, low=MIN_LEVEL, high=MAX_LEVEL
        )
        for name, level in levels.items()
    }


def scopes(field: str, value: object) -> tuple[str, ...]:
    """A non-empty list of distinct :data:`API_SCOPES`, in vocabulary order."""
    items = sequence(field, value)
    if not items:
        raise InvalidValue(field, "at least one scope is needed")
    for item in items:
        one_of(field, item, API_SCOPES)
    return tuple(s for s in API_SCOPES if s in items)


def jsonable(field: str, value: object) -> object:
    """``value`` if it can be stored as JSON."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidValue(field, f"cannot be stored as JSON ({error})") from None
    return value
