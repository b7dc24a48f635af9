"""Pure helpers shared by both stores: input checks, waiting-list keys, and the flat string
records the Redis store keeps (one hash per agent and per contact).

Times are written with ``repr(float)`` and read with ``float``, which round-trips exactly,
so a released contact goes back under the very score it left with.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from routing.core.model import Agent, AgentState, Contact, Service
from routing.core.score import index_key
from routing.state.model import AgentView, ContactView, Phase, StateError

PHASES: frozenset[str] = frozenset({"waiting", "offered", "active"})


def fmt(value: float) -> str:
    """A time or score as a string that reads back as the same float."""
    return repr(float(value))


def opt_float(text: str | None) -> float | None:
    return None if text in (None, "") else float(cast(str, text))


def queue_score(contact: Contact, service: Service) -> float:
    """The contact's score in its waiting lists (ascending: best first).

    ``-index_key``: priority levels (with VIP lift) in ``priority_step_s`` steps, then time
    of entry; ties fall to the contact id, as Redis orders equal scores by member.
    """
    return -index_key(contact, service)


def _level_map(levels: object, what: str) -> dict[str, int]:
    if not isinstance(levels, Mapping):
        raise StateError(f"{what}: expected a mapping of skill -> level")
    out: dict[str, int] = {}
    for skill, level in levels.items():
        if not isinstance(skill, str) or not skill:
            raise StateError(f"{what}: skill names must be non-empty strings")
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 10:
            raise StateError(f"{what}.{skill}: level must be an integer 1..10, got {level!r}")
        out[skill] = level
    return out


def _ident(value: object, what: str) -> str:
    if not isinstance(value, str) or not value or value != value.strip():
        raise StateError(f"{what}: expected a non-empty id without surrounding spaces")
    if any(ord(ch) < 32 for ch in value):
        raise StateError(f"{what}: control characters are not allowed in ids")
    return value


def check_agent(agent: Agent, services: Mapping[str, Service]) -> None:
    """Raise :class:`StateError` unless ``agent`` can be stored as given."""
    _ident(agent.id, "agent id")
    _level_map(agent.skills, f"agent {agent.id} skills")
    unknown = sorted(set(agent.services) - set(services))
    if unknown:
        raise StateError(f"agent {agent.id}: unknown services {unknown}")


def check_contact(contact: Contact, services: Mapping[str, Service]) -> Service:
    """Raise :class:`StateError` unless ``contact`` can be queued; returns its service."""
    _ident(contact.id, "contact id")
    service = services.get(contact.service)
    if service is None:
        raise StateError(f"contact {contact.id}: unknown service {contact.service!r}")
    if not isinstance(contact.entered_at, int | float) or not math.isfinite(contact.entered_at):
        raise StateError(f"contact {contact.id}: entered_at must be a finite number")
    if isinstance(contact.priority, bool) or not isinstance(contact.priority, int):
        raise StateError(f"contact {contact.id}: priority must be an integer")
    _level_map(contact.required, f"contact {contact.id} required")
    for agent_id in contact.excluded:
        _ident(agent_id, f"contact {contact.id} excluded agent")
    if contact.customer_id is not None:
        _ident(contact.customer_id, f"contact {contact.id} customer_id")
    return service


def check_meta(meta: Mapping[str, Any] | None) -> dict[str, str]:
    """The adapter's extra fields as JSON strings; raise on what JSON cannot hold."""
    out: dict[str, str] = {}
    for key, value in (meta or {}).items():
        if not isinstance(key, str) or not key:
            raise StateError("meta keys must be non-empty strings")
        try:
            out[key] = json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise StateError(f"meta {key!r}: not JSON-serialisable ({exc})") from None
    return out


# --- agents -------------------------------------------------------------------------------


def agent_data(agent: Agent) -> str:
    """The agent's static part (what ``put_agent`` may change) as JSON."""
    return json.dumps(
        {
            "skills": dict(agent.skills),
            "services": sorted(agent.services),
            "team": agent.team,
            "endpoint": agent.endpoint,
        },
        sort_keys=True,
    )


def services_json(names: Iterable[str]) -> str:
    return json.dumps(sorted(names))


def decode_agent(agent_id: str, fields: Mapping[str, str]) -> AgentView:
    """An :class:`AgentView` from its Redis hash."""
    data = json.loads(fields["data"])
    reason = fields.get("reason") or None
    agent = Agent(
        id=agent_id,
        skills=data["skills"],
        state=AgentState(fields["state"]),
        services=frozenset(data["services"]),
        idle_since=opt_float(fields.get("idle_since")),
        team=data.get("team"),
        endpoint=data.get("endpoint"),
        not_ready_reason=reason,
    )
    return AgentView(
        agent=agent,
        version=int(fields["version"]),
        state_since=float(fields["state_since"]),
        contact_id=fields.get("contact") or None,
        reachable=fields.get("reachable", "1") == "1",
        wrap_up_until=opt_float(fields.get("wrap_until")),
    )


# --- contacts -----------------------------------------------------------------------------


def contact_data(contact: Contact) -> str:
    """The contact's static part as compact JSON: fields at their default are left out, and
    so is the customer (the waiting-list member carries it), because every decision reads
    these bytes through Redis's Lua. ``excluded`` is kept apart: it changes."""
    d: dict[str, Any] = {"service": contact.service, "entered_at": float(contact.entered_at)}
    optional: dict[str, tuple[Any, Any]] = {  # field: (value, default)
        "vip": (contact.vip, False),
        "segment": (contact.segment, None),
        "intent": (contact.intent, None),
        "required": (dict(contact.required), {}),
        "priority": (contact.priority, 0),
        "language": (contact.language, None),
    }
    d.update((k, v) for k, (v, default) in optional.items() if v != default)
    return json.dumps(d, sort_keys=True, separators=(",", ":"))


def contact_from(
    contact_id: str, data: str, rejected: str | None, customer_id: str | None = None
) -> Contact:
    """A core :class:`Contact` from its JSON data (older records also carry the customer)
    and its ``rejected`` JSON list."""
    d = json.loads(data)
    return Contact(
        id=contact_id,
        service=d["service"],
        entered_at=d["entered_at"],
        customer_id=d.get("customer_id", customer_id),
        vip=d.get("vip", False),
        segment=d.get("segment"),
        intent=d.get("intent"),
        required=d.get("required") or {},
        priority=d.get("priority", 0),
        excluded=frozenset(json.loads(rejected)) if rejected and rejected != "[]" else frozenset(),
        language=d.get("language"),
    )


def contact_from_member(member: str) -> Contact:
    """A core :class:`Contact` from a waiting-list member (see :mod:`routing.state.lua`)."""
    contact_id, customer, rejected, data = member.split("\n", 3)
    return contact_from(contact_id, data, rejected, customer or None)


def decode_contact(
    contact_id: str,
    fields: Mapping[str, str],
    from_member: Callable[[str], Contact] = contact_from_member,
) -> ContactView:
    """A :class:`ContactView` from its Redis hash (``from_member``: a caching decoder)."""
    phase = fields["phase"]
    if phase not in PHASES:
        raise StateError(f"contact {contact_id}: corrupt phase {phase!r}")
    token = fields.get("token")
    meta = {k[2:]: json.loads(v) for k, v in fields.items() if k.startswith("m:")}
    return ContactView(
        contact=from_member(fields["member"]),
        phase=cast(Phase, phase),
        queues=tuple(json.loads(fields["queues"])),
        agent_id=fields.get("agent") or None,
        token=int(token) if token else None,
        offered_at=opt_float(fields.get("offered_at")),
        expires_at=opt_float(fields.get("expires")),
        answered_at=opt_float(fields.get("answered_at")),
        meta=meta,
    )


def text(value: object) -> str:
    """A Redis reply item as text, whether the client decodes responses or not."""
    return value.decode() if isinstance(value, bytes) else str(value)


def pairs(flat: Iterable[object]) -> dict[str, str]:
    """``HGETALL``-style ``[k1, v1, k2, v2, ...]`` (or a dict) as a dict of text."""
    if isinstance(flat, Mapping):
        return {text(k): text(v) for k, v in flat.items()}
    items = [text(x) for x in flat]
    return dict(zip(items[::2], items[1::2], strict=True))


def decode_affinity(raw: Mapping[str, str]) -> dict[str, tuple[str, float]]:
    """Customer -> (agent, served at) from the ``aff`` hash's JSON values."""
    out: dict[str, tuple[str, float]] = {}
    for customer, value in raw.items():
        agent_id, at = json.loads(value)
        out[customer] = (str(agent_id), float(at))
    return out
