"""Small pure decisions the engine makes at menus and gathers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ivr.personalize import MenuPlan
from ivr.scenario import model as m
from ivr.scenario.actions import Digits, Event, NoInput, SpeechResult


@dataclass
class GatherState:
    """A gather in progress: the value we could prefill, and whether we are asking to confirm."""

    known: str | None
    confirming: bool


def check_digits(node: m.Gather, raw: str) -> str | None:
    """``raw`` as the value of ``node``'s field (terminators dropped), or None if refused."""
    value = raw.replace(node.terminator, "") if node.terminator else raw
    if not value or not re.fullmatch(r"[0-9*#]+", value):
        return None
    if not node.min_digits <= len(value) <= node.max_digits:
        return None
    if node.pattern is not None and re.fullmatch(node.pattern, value) is None:
        return None
    return value


def menu_choice(
    node: m.Menu, plan: MenuPlan, event: Event, min_confidence: float
) -> tuple[m.MenuOption, str] | None:
    """The option chosen by ``event`` and what the caller gave, or None (invalid / silence)."""
    if isinstance(event, Digits) and event.digits:
        pressed = event.digits[0]
        usual = plan.option_for_key(pressed)
        option = node.option(usual) if usual is not None else None
        return (option, pressed) if option is not None else None
    if isinstance(event, SpeechResult) and event.intent and event.confidence >= min_confidence:
        heard = [node.option(p.option_key) for p in plan.options]
        option = next((o for o in heard if o is not None and o.intent == event.intent), None)
        return (option, f"speech:{event.intent}") if option is not None else None
    return None


def plan_detail(plan: MenuPlan) -> dict[str, Any]:
    """A menu plan as journey detail: the order heard, what was promoted, and why."""
    return {
        "mode": plan.mode,
        "order": [
            {"key": o.key, "option": o.option_key, "intent": o.intent, "promoted": o.promoted}
            for o in plan.options
        ],
        "promoted": [o.intent for o in plan.promoted],
        "reasons": dict(plan.reasons),
    }


def failure_kind(event: Event) -> tuple[str, str | None]:
    """``("no_input" | "invalid", what the caller gave)`` for an event a node could not use."""
    if isinstance(event, NoInput):
        return "no_input", None
    if isinstance(event, Digits):
        return "invalid", event.digits
    if isinstance(event, SpeechResult):
        return "invalid", event.transcript or event.intent
    return "invalid", None


def on_failure(
    node: m.Interactive, defaults: m.Defaults, kind: str, count: int
) -> tuple[bool, m.Prompt | None, str | None]:
    """After the ``count``-th failure of ``kind``: retry?, the prompt to say, the target after.

    The node's own handler wins, field by field, over the scenario's defaults.
    """
    own: m.Handler | None = getattr(node, kind)
    fallback: m.Handler = getattr(defaults, kind)
    retries = node.retries if node.retries is not None else defaults.retries
    prompt = (own.prompt if own else None) or fallback.prompt
    target = (own.target if own else None) or fallback.target
    return count <= retries, prompt, target
