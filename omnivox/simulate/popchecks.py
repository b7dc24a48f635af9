"""Judging ``agent`` and ``screen_pop`` expectations against who got the call and the pop
they saw (:class:`~omnivox.simulate.desk.AgentOutcome`). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ivr.scenario.source import Pos
from omnivox.simulate.checks import Check, show


class Agent(Protocol):
    """The agent who got a call: a store record (embedded) or what the server's API said."""

    @property
    def login(self) -> str: ...

    @property
    def skills(self) -> Mapping[str, int]: ...


@dataclass
class AgentOutcome:
    """What the routing side saw of one call."""

    queued: bool = False
    service: str | None = None  # where it waited last
    agent: Agent | None = None  # the agent who got it (offered to)
    offers: int = 0
    answered: bool = False
    abandoned: bool = False  # queued, and the caller left before an agent took it
    wait_s: float | None = None
    pop: dict[str, Any] | None = None
    note: str | None = None  # why nothing could be checked


def who(outcome: AgentOutcome) -> str:
    """``sim-billing (billing 8), waited in billing`` or why nobody got it."""
    if outcome.note is not None:
        return outcome.note
    if not outcome.queued:
        return "no agent: the call never reached a queue"
    where = f"in {outcome.service}" if outcome.service else "in no service"
    if outcome.agent is None:
        left = "the caller hung up" if outcome.abandoned else "still waiting"
        return f"no agent: waited {where}, {left}"
    skills = ", ".join(f"{k} {v}" for k, v in sorted(outcome.agent.skills.items()))
    got = "answered" if outcome.answered else "offered"
    return f"{outcome.agent.login} ({skills or 'no skills'}), {got}, waited {where}"


def judge_agent(value: Any, outcome: AgentOutcome, pos: Pos) -> list[Check]:
    """``agent: LOGIN | null | {login, skill, waited_in, abandoned}``: one check per key."""
    if outcome.note is not None:
        return [Check("agent", show(value), f"not checked: {outcome.note}", True, pos, True)]
    wanted = value if isinstance(value, Mapping) else {"login": value}
    got = who(outcome)
    out = []
    for key, expected in wanted.items():
        label = "agent" if not isinstance(value, Mapping) else f"agent {key}"
        match key:
            case "login":
                login = outcome.agent.login if outcome.agent is not None else None
                text = "no agent" if expected is None else str(expected)
                out.append(Check(label, text, got, login == expected, pos))
            case "skill":
                names = [expected] if isinstance(expected, str) else list(expected)
                has = set(outcome.agent.skills) if outcome.agent is not None else set()
                ok = outcome.agent is not None and set(names) <= has
                out.append(Check(label, f"an agent with {' and '.join(names)}", got, ok, pos))
            case "waited_in":
                ok = outcome.queued and outcome.service == expected
                out.append(Check(label, str(expected), got, ok, pos))
            case "abandoned":
                out.append(Check(label, show(expected), got, outcome.abandoned == expected, pos))
    return out


def judge_pop(value: Mapping[str, Any], outcome: AgentOutcome, pos: Pos) -> list[Check]:
    """``screen_pop: {field: expected, ...}``: one check per field."""
    if outcome.note is not None:
        note = f"not checked: {outcome.note}"
        return [Check("screen_pop", show(dict(value)), note, True, pos, True)]
    pop = outcome.pop
    if pop is None:
        got = f"no pop: {who(outcome)}"
        return [
            Check(f"screen_pop {k}", _expected(k, v), got, False, pos) for k, v in value.items()
        ]
    out = []
    for key, expected in value.items():
        if key == "data":
            out.extend(_data(name, want, pop, pos) for name, want in expected.items())
            continue
        got = pop_field(pop, key)
        ok = _matches(key, expected, got)
        out.append(Check(f"screen_pop {key}", _expected(key, expected), show(got), ok, pos))
    return out


def pop_field(pop: Mapping[str, Any], key: str) -> Any:
    """One named field of a pop (see the schema's ``screen_pop``)."""
    customer = pop.get("customer") or {}
    journey = pop.get("journey") or {}
    match key:
        case "name" | "vip" | "segment" | "language":
            return customer.get(key) if customer else (False if key == "vip" else None)
        case "intent" | "service":
            return pop["contact"].get(key)
        case "promoted":
            menus = journey.get("menus") or []
            return list(menus[0].get("promoted") or []) if menus else []
        case "path":
            nodes = [s.get("node") for s in journey.get("path") or []]
            return [n for i, n in enumerate(nodes) if i == 0 or nodes[i - 1] != n]
        case "why":
            return (pop.get("routing") or {}).get("why")
        case "open_matters":
            return len(pop.get("open_matters") or [])
    raise KeyError(key)


def _matches(key: str, expected: Any, got: Any) -> bool:
    if key == "path":
        it = iter(got)
        return all(node in it for node in expected)  # in order, others may come between
    if key == "why":
        return isinstance(got, str) and expected.lower() in got.lower()
    return bool(got == expected)


def _expected(key: str, value: Any) -> str:
    if key == "path":
        return f"through {' > '.join(value)}"
    if key == "why":
        return f"words {value!r}"
    return show(value)


def _data(name: str, wanted: Any, pop: Mapping[str, Any], pos: Pos) -> Check:
    label = f"screen_pop data {name}"
    inputs = {i["field"]: i for i in (pop.get("journey") or {}).get("inputs") or []}
    item = inputs.get(name)
    got = "not in the pop" if item is None else _item(item)
    if wanted is None:
        return Check(label, "not in the pop", got, item is None, pos)
    if isinstance(wanted, str):
        wanted = {"value": wanted}
    ok = item is not None and all(item.get(k) == v for k, v in wanted.items())
    return Check(label, _item(wanted), got, ok, pos)


def _item(item: Mapping[str, Any]) -> str:
    text = str(item.get("value", "any value"))
    if item.get("source") is not None:
        text += f" from {item['source']}"
    if "prefilled" in item:
        text += ", prefilled" if item["prefilled"] else ", not prefilled"
    return text
