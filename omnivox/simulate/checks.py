"""Judging a finished call: the menus it heard (``expect_menu`` steps) and the outcome
(``expect``) against the journey the server stored and the variables it set. Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from customers.records import JourneyRecord
from ivr.scenario.source import Pos
from omnivox.simulate.caller import StepResult
from omnivox.simulate.model import AGENT_EXPECTATIONS, Expectation, ExpectMenu


@dataclass(frozen=True, slots=True)
class Check:
    """One expectation on the outcome, judged."""

    name: str
    expected: str
    got: str
    passed: bool
    pos: Pos
    skipped: bool = False  # not checkable here (the reason is in ``got``)


def show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def menu_text(menu: Mapping[str, Any]) -> str:
    order = ", ".join(f"{o['key']}={o.get('intent') or o['option']}" for o in menu["order"])
    promoted = menu.get("promoted") or []
    return f"{menu['node']}: {order}" + (f" (moved up: {', '.join(promoted)})" if promoted else "")


def judge_menus(results: Sequence[StepResult], journey: JourneyRecord | None) -> None:
    """Decide each ``check`` step: the k-th menu expectation is the next menu heard after the
    previous one's (of its node, if it names one)."""
    menus = list(journey.menus) if journey is not None else []
    start = 0
    for result in results:
        step = result.step
        if result.status != "check" or not isinstance(step, ExpectMenu):
            continue
        found = next(
            (i for i in range(start, len(menus)) if step.node in (None, menus[i]["node"])),
            None,
        )
        if found is None:
            result.status = "failed"
            heard = "; ".join(menu_text(m) for m in menus) or "none"
            result.detail = f"no {'further ' if start else ''}menu heard (menus: {heard})"
            continue
        start = found + 1
        problems = _menu_problems(step, menus[found])
        result.status = "failed" if problems else "passed"
        result.detail = ("; ".join(problems) + "; got " if problems else "") + menu_text(
            menus[found]
        )


def _menu_problems(step: ExpectMenu, menu: Mapping[str, Any]) -> list[str]:
    heard = [o.get("intent") or o["option"] for o in menu["order"]]
    by_key = {o["key"]: o.get("intent") or o["option"] for o in menu["order"]}
    out = []
    if step.order is not None:
        wanted = list(step.order)
        got = heard if step.exact else heard[: len(wanted)]
        if got != wanted:
            out.append(f"expected {'order' if step.exact else 'first'} {show(wanted)}")
    for key, intent in (step.keys or {}).items():
        if by_key.get(key) != intent:
            out.append(f"expected key {key} = {intent}, got {by_key.get(key) or 'no such key'}")
    if step.promoted is not None and list(menu.get("promoted") or []) != list(step.promoted):
        out.append(f"expected moved up {show(list(step.promoted))}")
    return out


def judge_outcome(
    expectations: Sequence[Expectation],
    journey: JourneyRecord | None,
    variables: Mapping[str, str],
    agent: Callable[[Expectation], list[Check]] | None = None,
) -> list[Check]:
    """One :class:`Check` per expectation (per field for ``collected``); ``agent`` judges
    ``agent`` and ``screen_pop`` (None: they are not checked, and say so)."""
    out: list[Check] = []
    for e in expectations:
        if e.name in AGENT_EXPECTATIONS:
            if agent is not None:
                out.extend(agent(e))
            else:
                note = "not checked: no agents here"
                out.append(Check(e.name, show(e.value), note, True, e.pos, True))
        elif e.name == "collected":
            for name, wanted in e.value.items():
                out.append(_collected(name, wanted, journey, e.pos))
        elif e.name in ("skills", "priority"):
            out.append(_transfer_variable(e, variables))
        elif journey is None:
            out.append(Check(e.name, show(e.value), "no journey was stored", False, e.pos))
        else:
            got = _journey_fact(e.name, journey)
            out.append(Check(e.name, show(e.value), show(got), got == e.value, e.pos))
    return out


def _journey_fact(name: str, journey: JourneyRecord) -> Any:
    resumes = [s for s in journey.path if s["detail"].get("result") == "resume"]
    match name:
        case "promoted":
            return list(journey.menus[0].get("promoted") or []) if journey.menus else []
        case "channel_switch":
            return (journey.inputs.get("channel_switch") or {}).get("value")
        case "resumed":
            return bool(resumes)
        case "resumed_at":
            return resumes[0]["node"] if resumes else None
        case "pressed":
            return [f"{s['node']}:{s['input']}" for s in journey.path if s["input"] is not None]
    return getattr(journey, name)


def _transfer_variable(e: Expectation, variables: Mapping[str, str]) -> Check:
    raw = variables.get(f"OMNIVOX_{e.name.upper()}")
    if raw is None:
        return Check(e.name, show(e.value), "no transfer (the variable was not set)", False, e.pos)
    if e.name == "skills":
        got: Any = sorted(s for s in raw.replace(",", " ").split() if s)
        return Check(e.name, show(sorted(e.value)), show(got), got == sorted(e.value), e.pos)
    got = int(raw) if raw.lstrip("-").isdigit() else raw
    return Check(e.name, show(e.value), show(got), got == e.value, e.pos)


def _collected(name: str, wanted: Any, journey: JourneyRecord | None, pos: Pos) -> Check:
    label = f"collected {name}"
    item = journey.inputs.get(name) if journey is not None else None
    got = "not collected" if item is None else f"{item['value']} from {item['source']}"
    if journey is None:
        return Check(label, show(wanted), "no journey was stored", False, pos)
    if wanted is None:
        return Check(label, "not collected", got, item is None, pos)
    if isinstance(wanted, str):
        wanted = {"value": wanted}
    expected = " from ".join(
        [wanted.get("value", "any value"), *([wanted["source"]] if "source" in wanted else [])]
    )
    ok = item is not None and all(item.get(k) == v for k, v in wanted.items())
    return Check(label, expected, got, ok, pos)
