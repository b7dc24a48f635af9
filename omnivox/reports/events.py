"""Pure core of the recorder: what one bus event changes in a contact row and in the
agents' states. No I/O; :mod:`omnivox.reports.recorder` applies the result to the store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

CONTACT_TOPICS = frozenset(
    {
        "ivr.transfer",
        "ivr.channel_switch",
        "routing.queued",
        "routing.offered",
        "routing.answered",
        "routing.missed",
        "routing.ended",
        "routing.abandoned",
    }
)
MEDIA = frozenset({"voice", "chat", "callback"})


@dataclass(frozen=True, slots=True)
class AgentChange:
    """An agent entered ``state`` (with ``reason``, for not_ready)."""

    agent_id: str
    state: str
    reason: str | None = None


def contact_id_of(topic: str, payload: Mapping[str, Any]) -> str | None:
    """The contact an event is about: the router's ``id``, the IVR's ``call_id``."""
    if topic not in CONTACT_TOPICS:
        return None
    raw = payload.get("call_id") if topic.startswith("ivr.") else payload.get("id")
    if raw is None:
        raw = payload.get("id") or payload.get("call_id")
    return str(raw)[:64] if raw not in (None, "") else None


def _int(value: object) -> int | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def _text(value: object, limit: int) -> str | None:
    return None if value in (None, "") else str(value)[:limit]


def _facts(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The contact facts every event may carry, only those present."""
    found: dict[str, Any] = {}
    for name, parse in (
        ("customer_id", _int),
        ("journey_id", _int),
        ("priority", _int),
        ("intent", lambda v: _text(v, 100)),
    ):
        value = parse(payload.get(name))
        if value is not None:
            found[name] = value
    if "vip" in payload:
        found["vip"] = bool(payload["vip"])
    return found


def apply_event(
    current: Mapping[str, Any] | None, topic: str, payload: Mapping[str, Any], at: datetime
) -> dict[str, Any] | None:
    """The contact row after ``topic`` at ``at`` (None: the event changes nothing).

    Times are the recorder's clock, first occurrence wins (a second offer keeps the first
    ``offered_at``). A contact queued again to another service counts one transfer.
    """
    row: dict[str, Any] = (
        dict(current)
        if current is not None
        else {"entered_at": at, "media": "voice", "vip": False, "offers": 0, "missed": 0}
        | {"transfers": 0, "callback": False}
    )
    if topic not in CONTACT_TOPICS:
        return None
    if row.get("ended_at") is not None and topic not in ("routing.ended", "routing.abandoned"):
        return None  # a late event for a finished contact
    row.update(_facts(payload))
    service = _text(payload.get("service"), 100)
    if topic == "ivr.channel_switch":
        kind = _text(payload.get("kind"), 32)
        row["switched_to"] = kind
        row["callback"] = row["callback"] or kind == "callback"
        return row
    if service is not None:
        previous = row.get("service")
        if previous is not None and previous != service and row.get("queued_at") is not None:
            row["transfers"] += 1
        row["service"] = service
        row["first_service"] = row.get("first_service") or service
    if topic in ("ivr.transfer", "routing.queued"):
        row["queued_at"] = row.get("queued_at") or at
        media = payload.get("media")
        if media in MEDIA:
            row["media"] = media
            row["callback"] = row["callback"] or media == "callback"
    elif topic == "routing.offered":
        row["offered_at"] = row.get("offered_at") or at
        row["offers"] += 1
        row["agent_id"] = _text(payload.get("agent") or payload.get("agent_id"), 64)
        media = payload.get("media")
        if media in MEDIA and row.get("media") == "voice":
            row["media"] = media
    elif topic == "routing.answered":
        row["answered_at"] = row.get("answered_at") or at
        row["agent_id"] = _text(payload.get("agent_id"), 64) or row.get("agent_id")
    elif topic == "routing.missed":
        row["missed"] += 1
    elif topic == "routing.ended":
        row["ended_at"] = row.get("ended_at") or at
    elif topic == "routing.abandoned":
        row["ended_at"] = row.get("ended_at") or at
        if row.get("answered_at") is None:
            row["abandoned_at"] = row.get("abandoned_at") or at
    row["queued_at"] = row.get("queued_at") or (at if topic.startswith("routing.") else None)
    return row


def agent_changes(topic: str, payload: Mapping[str, Any]) -> list[AgentChange]:
    """Agent states an event implies. ``routing.agent`` says so itself; the contact events
    imply reserved / on_call / wrap_up / not_ready("missed") / ready for the agent involved,
    so occupancy holds even where the router does not announce each change."""
    if topic == "routing.agent":
        agent, state = _text(payload.get("id"), 64), _text(payload.get("state"), 16)
        if agent is None or state is None:
            return []
        reason = _text(payload.get("reason"), 100) if state == "not_ready" else None
        return [AgentChange(agent, state, reason)]
    agent = _text(payload.get("agent") or payload.get("agent_id"), 64)
    match topic:
        case "routing.offered" if agent:
            return [AgentChange(agent, "reserved")]
        case "routing.answered" if agent:
            return [AgentChange(agent, "on_call")]
        case "routing.ended" if agent:
            return [AgentChange(agent, "wrap_up")]
        case "routing.abandoned" if agent and payload.get("phase") == "offered":
            return [AgentChange(agent, "ready")]
        case "routing.missed" if payload.get("missed"):
            return [AgentChange(str(payload["missed"])[:64], "not_ready", "missed")]
    return []
