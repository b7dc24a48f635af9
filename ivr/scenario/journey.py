"""The record a call keeps of itself: every step, what was collected, how it ended."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["in_progress", "completed", "transferred", "abandoned", "failed"]


@dataclass(frozen=True, slots=True)
class Step:
    """One thing that happened at a node, ``offset_ms`` after the call started.

    ``detail["result"]`` says what: entered, option, invalid, no_input, exhausted, collected,
    prefill, branch, set, transfer, channel_switch, hangup, caller_hangup, resume, failed...
    """

    node: str
    kind: str
    offset_ms: int
    input: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Collected:
    """A value the call holds, and where it came from: voice, profile, set or resume.

    A value the caller spoke (``via="speech"``, not keys) keeps the words heard and the
    recogniser's confidence.
    """

    value: str
    source: str
    via: str | None = None
    transcript: str | None = None
    confidence: float | None = None

    def record(self) -> dict[str, Any]:
        """JSON-ready, without the fields that are not set."""
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Journey:
    """Mutable while the call runs; read it, do not change it."""

    scenario: str
    version: str
    language: str
    path: list[Step] = field(default_factory=list)
    collected: dict[str, Collected] = field(default_factory=dict)
    menus: list[dict[str, Any]] = field(default_factory=list)  # every menu plan heard
    current: str | None = None
    status: Status = "in_progress"
    intent: str | None = None
    service: str | None = None
    stopped_at: str | None = None
    end_reason: str | None = None
    channel_switch: str | None = None
    resumed_from: str | None = None
    return_stack: tuple[str, ...] = ()

    @property
    def finished(self) -> bool:
        return self.status != "in_progress"

    def data(self) -> dict[str, str]:
        """Collected values by field."""
        return {name: item.value for name, item in self.collected.items()}

    def to_record(self) -> dict[str, Any]:
        """The fields of ``CustomerStore.update_journey``: path, inputs, menus, stopped_at,
        status, service, intent (JSON-ready)."""
        inputs: dict[str, Any] = {name: item.record() for name, item in self.collected.items()}
        if self.return_stack:
            inputs["_return_stack"] = list(self.return_stack)
        return {
            "path": [asdict(step) for step in self.path],
            "inputs": inputs,
            "menus": list(self.menus),
            "stopped_at": self.stopped_at,
            "status": self.status,
            "service": self.service,
            "intent": self.intent,
        }
