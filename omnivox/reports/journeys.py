"""Reading stored IVR journeys: menu visits (heard order, promoted options, the choice and
how long it took) and the caller's answers (keys or speech, with the recogniser's confidence).

A journey's ``path`` is a list of steps ``{node, kind, offset_ms, input, detail}``
(``ivr.scenario.journey.Step``); a menu's ``entered`` step carries its plan in ``detail``
(``order`` [{key, option, intent, promoted}], ``promoted``, ``reasons``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

ANSWERS = frozenset({"option", "collected", "channel_switch"})  # the caller's accepted inputs
CLOSING = frozenset({"exhausted", "caller_hangup", "failed", "hangup", "transfer"})
STATIC_KEY_ORDER = "1234567890*#"


class HasPath(Protocol):
    """A journey as the reports read it: its scenario and path (a record, or the store's
    ``JourneyPath``)."""

    @property
    def scenario(self) -> str: ...

    @property
    def path(self) -> Sequence[Any]: ...


@dataclass(frozen=True, slots=True)
class MenuVisit:
    """One time a caller heard a menu."""

    node: str
    entered_ms: int
    order: tuple[Mapping[str, Any], ...]  # as heard
    promoted: tuple[str, ...]  # intents promoted
    chosen: str | None = None  # the option's usual key
    chosen_ms: int | None = None
    by_speech: bool = False

    @property
    def personalised(self) -> bool:
        return bool(self.promoted)

    @property
    def seconds(self) -> float | None:
        """Entering the menu to the choice, in seconds (None without a choice)."""
        if self.chosen_ms is None:
            return None
        return max(0, self.chosen_ms - self.entered_ms) / 1000.0

    def heard_position(self) -> int | None:
        """1-based place of the chosen option in the order heard."""
        keys = [str(o.get("option")) for o in self.order]
        return keys.index(self.chosen) + 1 if self.chosen in keys else None

    def static_position(self) -> int | None:
        """1-based place of the chosen option in the static order: the options by their
        usual key (1-9, 0, *, #), the order a scenario file lists them in."""
        keys = sorted((str(o.get("option")) for o in self.order), key=_static_rank)
        return keys.index(self.chosen) + 1 if self.chosen in keys else None

    def chose_promoted(self) -> bool:
        return any(
            str(o.get("option")) == self.chosen and bool(o.get("promoted")) for o in self.order
        )


def _static_rank(key: str) -> tuple[int, str]:
    return (STATIC_KEY_ORDER.index(key), key) if key in STATIC_KEY_ORDER else (99, key)


def _detail(step: Mapping[str, Any]) -> Mapping[str, Any]:
    detail = step.get("detail")
    return detail if isinstance(detail, Mapping) else {}


def _steps(path: Sequence[Any]) -> Iterator[Mapping[str, Any]]:
    return (s for s in path if isinstance(s, Mapping))


def menu_visits(path: Sequence[Any]) -> list[MenuVisit]:
    """Every menu visit of a journey, in order; a visit ends at its choice, at a step on
    another node, or when the call ends there."""
    visits: list[MenuVisit] = []
    open_visit: MenuVisit | None = None
    for step in _steps(path):
        detail, node = _detail(step), str(step.get("node"))
        result, offset = detail.get("result"), int(step.get("offset_ms") or 0)
        if open_visit is not None and (node != open_visit.node or result in CLOSING):
            visits.append(open_visit)
            open_visit = None
        if step.get("kind") == "menu" and result == "entered":
            if open_visit is not None:
                visits.append(open_visit)
            open_visit = MenuVisit(
                node=node,
                entered_ms=offset,
                order=tuple(o for o in detail.get("order") or () if isinstance(o, Mapping)),
                promoted=tuple(str(p) for p in detail.get("promoted") or ()),
            )
        elif open_visit is not None and result == "option":
            visits.append(
                MenuVisit(
                    open_visit.node,
                    open_visit.entered_ms,
                    open_visit.order,
                    open_visit.promoted,
                    chosen=str(detail.get("option")),
                    chosen_ms=offset,
                    by_speech=is_speech(step),
                )
            )
            open_visit = None
    if open_visit is not None:
        visits.append(open_visit)
    return visits


def is_speech(step: Mapping[str, Any]) -> bool:
    """Whether the caller gave this input by voice (the engine writes ``speech:<intent>``
    as the input and the recogniser's ``confidence`` in the detail)."""
    given = step.get("input")
    return (isinstance(given, str) and given.startswith("speech:")) or (
        "confidence" in _detail(step)
    )


def answers(path: Sequence[Any]) -> list[Mapping[str, Any]]:
    """The caller's accepted inputs (menu choices, collected digits, channel choices)."""
    return [s for s in _steps(path) if _detail(s).get("result") in ANSWERS]


def confidences(path: Sequence[Any]) -> list[float]:
    """Every speech recognition's confidence in the journey (sure or not)."""
    found: list[float] = []
    for step in _steps(path):
        value = _detail(step).get("confidence")
        if isinstance(value, int | float) and not isinstance(value, bool):
            found.append(float(value))
    return found
