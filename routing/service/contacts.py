"""Contacts as the router service sees them: built from the IVR's facts, shown as JSON.

Pure: the facts of an ``ivr.transfer`` (or a chat / callback request) become the decision
core's :class:`Contact` plus the adapter's metadata kept beside it in the routing state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from routing.bridge.signals import CallerWaiting
from routing.core.model import Contact, Service
from routing.state import ContactView, StateError

DEFAULT_PRIORITY = 5  # the scenarios' default transfer priority: 0 extra levels
MEDIA = ("voice", "chat", "callback")


def contact_of(
    facts: Mapping[str, Any], services: Mapping[str, Service], now: float
) -> tuple[Contact, dict[str, Any]]:
    """The contact and its metadata for ``facts``; :class:`StateError` naming what is wrong."""
    name = str(facts.get("service") or "")
    service = services.get(name)
    if service is None:
        raise StateError(f"no service {name!r} in the routing config")
    media = str(facts.get("media") or "voice")
    if media not in MEDIA:
        raise StateError(f"unknown media {media!r} (one of {', '.join(MEDIA)})")
    if not facts.get("call_id"):
        raise StateError("a contact needs a call_id")
    try:
        priority = int(facts.get("priority") or DEFAULT_PRIORITY) - DEFAULT_PRIORITY
    except (TypeError, ValueError):
        raise StateError(f"priority {facts.get('priority')!r} is not a number") from None
    customer = facts.get("customer_id")
    extra = {s: 1 for s in facts.get("skills") or () if s not in service.requires}
    contact = Contact(
        id=str(facts["call_id"]),
        service=service.name,
        entered_at=now,
        customer_id=str(customer) if customer else None,
        vip=bool(facts.get("vip")),
        segment=facts.get("segment"),
        intent=facts.get("intent"),
        required=extra,
        priority=priority,
        language=facts.get("language"),
    )
    meta = {
        "media": media,
        "channel": facts.get("channel"),
        "journey_id": facts.get("journey_id"),
        "caller": facts.get("caller"),
        "facts": {k: v for k, v in facts.items() if _jsonable(v)},
    }
    return contact, meta


def view_dict(view: ContactView, now: float) -> dict[str, Any]:
    """JSON for ``GET /api/contacts`` and the bus: the contact, where it is, its call."""
    data = view.to_dict(now)
    meta = data.pop("meta", {})
    return data | {
        "media": meta.get("media", "voice"),
        "channel": meta.get("channel"),
        "journey_id": meta.get("journey_id"),
        "caller": meta.get("caller"),
        "why": meta.get("why"),  # the decision that offered it (its trace), once offered
    }


def callback_service(intent: str | None, services: Mapping[str, Service]) -> str | None:
    """The service a callback without one waits in: the one named like its intent, else
    ``general`` when the config has it."""
    if intent and intent in services:
        return intent
    return "general" if "general" in services else None


def waiting_facts(signal: CallerWaiting, known: Mapping[str, Any]) -> dict[str, Any]:
    """The ``ivr.transfer``-shaped facts of a caller announced by the hold context: the
    event's fields, completed by what this instance's IVR published, if it ran the call."""
    f = signal.facts
    skills = [s for s in f.get("skills", "").replace(",", " ").split() if s]
    from_event: dict[str, Any] = {
        "call_id": signal.uniqueid,
        "channel": signal.channel,
        "service": signal.queue,
        "skills": skills,
        "priority": int(f["priority"]) if f.get("priority", "").isdigit() else None,
        "intent": f.get("intent") or None,
        "language": f.get("language") or None,
        "journey_id": int(f["journey"]) if f.get("journey", "").isdigit() else None,
        "customer_id": int(f["customer"]) if f.get("customer", "").isdigit() else None,
        "caller": f.get("caller") or None,
        "vip": True if f.get("vip") == "1" else None,
    }
    merged = dict(known)
    for key, value in from_event.items():
        if value not in (None, [], "") or key not in merged:
            merged[key] = value
    return merged


def alive_channels(listing: Any) -> set[str]:
    """The uniqueids in a ``CoreShowChannels`` answer (a list of AMI messages)."""
    messages = listing if isinstance(listing, list) else [listing]
    return {
        str(m.get("Uniqueid"))
        for m in messages
        if m.get("Event") == "CoreShowChannel" and m.get("Uniqueid")
    }


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)
