"""What the engine knows about a call when it starts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ivr.personalize import HistoryItem


@dataclass(frozen=True, slots=True)
class CustomerView:
    """The recognised caller, as much as the scenario may look at."""

    id: int
    display_name: str | None = None
    vip: bool = False
    segment: str | None = None
    language: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResumePoint:
    """Where an unfinished journey stopped: its node, collected data and intent."""

    node: str
    collected: Mapping[str, str] = field(default_factory=dict)
    intent: str | None = None
    return_stack: tuple[str, ...] = ()  # sub-flow return nodes, innermost last

    @classmethod
    def from_record(
        cls, stopped_at: str, inputs: Mapping[str, Any], intent: str | None
    ) -> ResumePoint:
        """From a stored journey (``Journey.to_record()`` shape: field -> {value, source})."""
        collected = {
            name: str(item["value"] if isinstance(item, Mapping) else item)
            for name, item in inputs.items()
            if not name.startswith("_")
        }
        stack = inputs.get("_return_stack", ())
        return cls(stopped_at, collected, intent, tuple(str(s) for s in stack))


@dataclass(frozen=True, slots=True)
class CallContext:
    """Everything a call starts with; ``now`` must be timezone-aware."""

    now: datetime
    caller: str | None = None
    customer: CustomerView | None = None
    known: Mapping[str, str] = field(default_factory=dict)  # the caller's profile data
    history: Sequence[HistoryItem] = ()
    language: str | None = None  # e.g. from the dialled number; else the customer's
    resume: ResumePoint | None = None

    def __post_init__(self) -> None:
        if self.now.tzinfo is None or self.now.utcoffset() is None:
            raise ValueError(f"CallContext.now must be timezone-aware, got {self.now!r}")
