"""The screen-pop as JSON, composed from store records (pure: no I/O, no clock).

Every part the agent's page renders has one function here: the customer card (or the unknown
caller card), a timeline item, the IVR journey of the call, the router's "why this agent".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from customers.records import (
    AgentRecord,
    CustomerRecord,
    IntentCount,
    InteractionRecord,
    JourneyRecord,
)

SECRET_FIELD = re.compile(r"pin|passw|cvv|cvc|secret|security_code", re.IGNORECASE)
MASK = "••••"
KINDS = ("call", "callback", "chat")
MAX_PATH_STEPS = 60  # a looping caller's journey is cut, the end kept
_KEPT = (
    "option",
    "intent",
    "choice",
    "via",
    "confidence",
    "transcript",
    "field",
    "prefill",
    "service",
    "reason",
)


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def customer_card(customer: CustomerRecord, match: str) -> dict[str, Any]:
    """Name, segment, VIP, language and every identity grouped by kind (phone, email...)."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for identity in customer.identities:
        by_kind.setdefault(identity.kind, []).append(
            {"value": identity.value, "verified": identity.verified}
        )
    return {
        "id": customer.id,
        "name": customer.display_name,
        "segment": customer.segment,
        "vip": customer.vip,
        "language": customer.language,
        "since": iso(customer.created_at),
        "match": match,
        "identities": by_kind,
    }


def unknown_card(caller: str | None) -> dict[str, Any]:
    """The caller matched no customer: the page offers to create one or link the number."""
    return {"caller": caller, "actions": ["create", "link"]}


def timeline_item(item: InteractionRecord, agents: Mapping[int, str]) -> dict[str, Any]:
    disposition = item.data.get("disposition") if isinstance(item.data, dict) else None
    return {
        "id": item.id,
        "channel": item.channel,
        "direction": item.direction,
        "occurred_at": iso(item.occurred_at),
        "intent": item.intent,
        "topic": item.topic,
        "summary": item.summary,
        "outcome": item.outcome,
        "open": item.open,
        "agent": None
        if item.agent_id is None
        else {"id": item.agent_id, "name": agents.get(item.agent_id)},
        "journey_id": item.journey_id,
        "disposition": disposition if isinstance(disposition, str) else None,
    }


def intent_summary(counts: Iterable[IntentCount], limit: int = 5) -> list[dict[str, Any]]:
    return [
        {"intent": c.intent, "count": c.count, "last_at": iso(c.last_at)}
        for c in list(counts)[:limit]
    ]


def _input(name: str, raw: Any) -> dict[str, Any]:
    value = raw.get("value") if isinstance(raw, dict) else raw
    source = raw.get("source") if isinstance(raw, dict) else None
    shown = MASK if SECRET_FIELD.search(name) and value not in (None, "") else value
    prefilled = source not in (None, "voice")
    return {"field": name, "value": shown, "source": source, "prefilled": prefilled}


def _step(step: Any) -> dict[str, Any] | None:
    if not isinstance(step, dict):
        return None
    detail = step.get("detail") if isinstance(step.get("detail"), dict) else {}
    given = step.get("input")
    kept = {k: detail[k] for k in _KEPT if k in detail}
    return {
        "node": step.get("node"),
        "kind": step.get("kind"),
        "result": detail.get("result"),
        "input": MASK if SECRET_FIELD.search(str(detail.get("field", ""))) and given else given,
        "offset_ms": step.get("offset_ms"),
        **kept,
    }


def _menu(menu: Any) -> dict[str, Any] | None:
    if not isinstance(menu, dict):
        return None
    return {
        "node": menu.get("node"),
        "mode": menu.get("mode"),
        "order": [o for o in menu.get("order", []) if isinstance(o, dict)],
        "promoted": list(menu.get("promoted", [])),
        "reasons": dict(menu.get("reasons", {})) if isinstance(menu.get("reasons"), dict) else {},
    }


def intent_source(path: list[dict[str, Any]], intent: str | None) -> dict[str, Any]:
    """How the intent was recognised: the last menu choice naming it (keys or speech)."""
    for step in reversed(path):
        if step.get("result") == "option" and step.get("intent") == intent and intent:
            given = str(step.get("input") or "")
            if given.startswith("speech:"):
                return {"source": "speech", "confidence": step.get("confidence")}
            return {"source": "keys", "confidence": 1.0}
    return {"source": None, "confidence": None}


def journey_view(journey: JourneyRecord, confidence: float | None = None) -> dict[str, Any]:
    """The IVR part of this call: path, menus heard (promotions and why), inputs, intent."""
    steps = [s for s in (_step(x) for x in journey.path) if s is not None]
    cut = max(0, len(steps) - MAX_PATH_STEPS)
    inputs = [_input(k, v) for k, v in journey.inputs.items() if not k.startswith("_")]
    recognised = intent_source(steps, journey.intent)
    if confidence is not None:
        recognised["confidence"] = confidence
    return {
        "id": journey.id,
        "scenario": journey.scenario,
        "status": journey.status,
        "started_at": iso(journey.started_at),
        "stopped_at": journey.stopped_at,
        "service": journey.service,
        "intent": journey.intent,
        "intent_source": recognised["source"],
        "intent_confidence": recognised["confidence"],
        "path": steps[cut:],
        "path_cut": cut,
        "menus": [m for m in (_menu(x) for x in journey.menus) if m is not None],
        "inputs": inputs,
        "recorded": bool(journey.path),
    }


def routing_view(
    trace: Mapping[str, Any] | None, agent: AgentRecord | None, skills: Iterable[str]
) -> dict[str, Any]:
    """The skills the contact needed, the agent's levels, and the router's explanation.

    ``trace`` is a ``routing.core`` decision (``{"why", "trace"}``) or a bare trace dict.
    """
    decision = dict(trace or {})
    detail = decision.get("trace") if isinstance(decision.get("trace"), dict) else decision
    requirements = [r for r in detail.get("requirements", []) if isinstance(r, dict)]
    levels = dict(agent.skills) if agent is not None else {}
    matched = [
        {
            "skill": r.get("skill"),
            "required": r.get("level"),
            "agent_level": levels.get(str(r.get("skill"))),
        }
        for r in requirements
    ]
    named = {m["skill"] for m in matched}
    matched += [
        {"skill": s, "required": None, "agent_level": levels.get(s)}
        for s in skills
        if s not in named
    ]
    return {
        "why": decision.get("why") if isinstance(decision.get("why"), str) else None,
        "service": detail.get("service"),
        "target_service": detail.get("target_service"),
        "step_reasons": list(detail.get("step_reasons", [])),
        "skills": matched,
        "agent_score": detail.get("agent_score"),
        "runner_up": detail.get("runner_up"),
        "candidates": detail.get("candidates"),
        "rejected_by_reason": dict(detail.get("rejected_by_reason", {})),
        "rejections": list(detail.get("rejections", []))[:10],
    }


def contact_view(contact: Mapping[str, Any]) -> dict[str, Any]:
    """The contact's own facts, checked: the kind must be call, callback or chat."""
    kind = contact.get("kind") or "call"
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    if not contact.get("call_id"):
        raise ValueError("call_id: required")
    keys = ("call_id", "journey_id", "customer_id", "caller", "service", "priority", "intent")
    view = {k: contact.get(k) for k in keys}
    view |= {
        "kind": kind,
        "skills": list(contact.get("skills") or []),
        "language": contact.get("language"),
        "entered_at": contact.get("entered_at"),
        "waited_s": contact.get("waited_s"),
        "reason": contact.get("reason"),  # e.g. why a callback was asked for
        "media": contact.get("media") or "voice",
        "continues": contact.get("continues"),  # the call a chat or callback continues
    }
    return view
