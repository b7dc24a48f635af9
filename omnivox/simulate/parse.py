"""Positioned YAML that passed the schema, turned into a :class:`~omnivox.simulate.model.Script`.

Values the schema cannot judge (a time that does not exist, a zone nobody knows) are reported
through ``error(pos, message)``; nothing here raises on bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ivr.scenario.source import Pos, Y
from omnivox.simulate import model as m

Report = Callable[[Pos, str], None]
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> timedelta:
    """``"45s"``, ``"30m"``, ``"2h"``, ``"3d"`` (the schema checked the shape)."""
    return timedelta(seconds=float(text[:-1]) * _UNITS[text[-1]])


def call_time(text: str) -> datetime:
    """``2025-03-05T13:00+03:00``, ``...Z`` or ``2025-03-05 13:00 Europe/Moscow``; ValueError."""
    stamp, _, zone = text.strip().rpartition(" ")
    if stamp and "/" in zone:
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r}") from None
        return datetime.fromisoformat(stamp.replace(" ", "T", 1)).replace(tzinfo=tz)
    parsed = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    if parsed.tzinfo is None:
        raise ValueError("the time needs its zone (Z, +03:00 or a zone name)")
    return parsed


def script(root: Y, path: str, stem: str, error: Report) -> m.Script:
    """The script in ``root`` (already valid against the schema)."""
    top = root.value
    at = None
    if "at" in top:
        try:
            at = call_time(top["at"].value)
        except ValueError as exc:
            error(top["at"].pos, f"at: {exc}")
    calls = tuple(_call(y, error) for y in top["calls"].value)
    return m.Script(
        path=path,
        name=top["name"].value if "name" in top else stem,
        scenario=top["scenario"].value,
        calls=calls,
        caller=top["caller"].value if "caller" in top else None,
        customer=_customer(top["customer"]) if "customer" in top else None,
        at=at,
        description=top["description"].value if "description" in top else "",
        agents=tuple(_agent(a) for a in top["agents"].plain()) if "agents" in top else (),
    )


def _agent(a: dict[str, Any]) -> m.AgentSeed:
    return m.AgentSeed(
        login=a["login"],
        skills={str(k): int(v) for k, v in a["skills"].items()},
        name=a.get("name"),
        endpoint=a.get("endpoint"),
    )


def _customer(y: Y) -> m.CustomerSeed:
    c = y.plain()
    data: dict[str, tuple[str, str]] = {}
    for name, item in (c.get("data") or {}).items():
        if isinstance(item, str):
            data[name] = (item, "web")
        else:
            data[name] = (item["value"], item.get("source", "web"))
    history = tuple(
        m.HistorySeed(
            channel=h["channel"],
            age=duration(h["age"]),
            intent=h.get("intent"),
            direction=h.get("direction", "out" if h["channel"] == "outbound" else "in"),
            open=h.get("open", False),
            topic=h.get("topic"),
            outcome=h.get("outcome"),
        )
        for h in c.get("history") or ()
    )
    return m.CustomerSeed(
        name=c.get("name"),
        vip=c.get("vip", False),
        segment=c.get("segment"),
        language=c.get("language"),
        identities=tuple((i["kind"], i["value"]) for i in c.get("identities") or ()),
        data=data,
        history=history,
        attributes=c.get("attributes") or {},
    )


def _call(y: Y, error: Report) -> m.CallPlan:
    body = y.value
    steps = tuple(_step(s, error) for s in body["steps"].value)
    expect = ()
    if "expect" in body:
        expect = tuple(
            m.Expectation(name, value.plain(), value.key_pos or value.pos)
            for name, value in body["expect"].value.items()
        )
    after = duration(body["after"].value) if "after" in body else None
    hold = duration(body["hold"].value).total_seconds() if "hold" in body else None
    return m.CallPlan(steps=steps, expect=expect, after=after, hold=hold, pos=y.pos)


def _prompt(y: Y) -> m.PromptMatch:
    value = y.plain()
    if isinstance(value, str):
        return m.PromptMatch(prompt_id=value)
    return m.PromptMatch(prompt_id=value.get("id"), text=value.get("text"))


def _step(y: Y, error: Report) -> m.Step:
    if isinstance(y.value, str):
        return m.HangUp(y.pos) if y.value == "hangup" else m.Silence(y.pos)
    body = y.value
    pos = y.pos
    if "expect_prompt" in body:
        return m.ExpectPrompt(_prompt(body["expect_prompt"]), pos)
    if "expect_menu" in body:
        return _menu(body["expect_menu"], pos)
    if "press" in body:
        pressed = str(body["press"].value)
        on_hearing = bool(body["on_hearing"].value) if "on_hearing" in body else False
        during = _prompt(body["during"]) if "during" in body else None
        if on_hearing and during is not None:
            error(body["on_hearing"].pos, "press: on_hearing and during exclude each other")
        if on_hearing and len(pressed) != 1:
            error(body["press"].pos, f"press on_hearing takes one key, got {pressed!r}")
        return m.Press(pressed, during, on_hearing, pos)
    if "say" in body:
        return m.Say(body["say"].value, pos)
    if "wait" in body:
        return m.Wait(float(body["wait"].value), pos)
    if "silence" in body:
        return m.Silence(pos)
    return m.HangUp(pos)


def _menu(y: Y, pos: Pos) -> m.ExpectMenu:
    value = y.plain()
    if isinstance(value, list):
        return m.ExpectMenu(order=tuple(str(v) for v in value), pos=pos)
    order = value.get("order")
    promoted = value.get("promoted")
    menu_keys = value.get("keys")
    return m.ExpectMenu(
        node=value.get("node"),
        order=tuple(str(v) for v in order) if order is not None else None,
        exact=value.get("exact", False),
        keys={str(k): v for k, v in menu_keys.items()} if menu_keys is not None else None,
        promoted=tuple(promoted) if promoted is not None else None,
        pos=pos,
    )
