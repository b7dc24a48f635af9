"""Store records as the API's JSON. Pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from customers.records import (
    AuditRecord,
    Candidate,
    CustomerExport,
    CustomerRecord,
    ErasureRecord,
    IdentityRecord,
    InteractionRecord,
    JourneyRecord,
    MergeRecord,
    ProfileValue,
)


def when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def identity(record: IdentityRecord) -> dict[str, Any]:
    return {"kind": record.kind, "value": record.value, "verified": record.verified}


def customer(record: CustomerRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "display_name": record.display_name,
        "segment": record.segment,
        "vip": record.vip,
        "language": record.language,
        "attributes": record.attributes,
        "created_at": when(record.created_at),
        "merged_into": record.merged_into,
        "identities": [identity(i) for i in record.identities],
    }


def profile(values: Mapping[str, ProfileValue]) -> dict[str, Any]:
    return {
        name: {"value": p.value, "channel": p.channel, "updated_at": when(p.updated_at)}
        for name, p in values.items()
    }


def ivr(journey: JourneyRecord) -> dict[str, Any]:
    """What the caller went through: each menu in the order heard with what was promoted and
    why, every key or utterance given, the data collected, and where the call went."""
    menus = [
        {
            "menu": m.get("node"),
            "heard": m.get("order", []),
            "promoted": m.get("promoted", []),
            "reasons": m.get("reasons", {}),
            "mode": m.get("mode"),
        }
        for m in journey.menus
        if isinstance(m, Mapping)
    ]
    inputs = [
        {
            "node": step.get("node"),
            "input": step.get("input"),
            "result": (step.get("detail") or {}).get("result"),
            "offset_ms": step.get("offset_ms"),
        }
        for step in journey.path
        if isinstance(step, Mapping) and step.get("input") is not None
    ]
    collected = {
        name: item.get("value")
        for name, item in journey.inputs.items()
        if not name.startswith("_") and isinstance(item, Mapping)
    }
    return {
        "id": journey.id,
        "call_id": journey.call_id,
        "scenario": journey.scenario,
        "status": journey.status,
        "started_at": when(journey.started_at),
        "ended_at": when(journey.ended_at),
        "menus": menus,
        "inputs": inputs,
        "collected": collected,
        "intent": journey.intent,
        "service": journey.service,
        "stopped_at": journey.stopped_at,
    }


def interaction(
    record: InteractionRecord,
    journey: JourneyRecord | None = None,
    agent: tuple[str, str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": record.id,
        "customer_id": record.customer_id,
        "channel": record.channel,
        "direction": record.direction,
        "occurred_at": when(record.occurred_at),
        "intent": record.intent,
        "topic": record.topic,
        "summary": record.summary,
        "outcome": record.outcome,
        "open": record.open,
        "data": record.data,
        "idempotency_key": record.idempotency_key,
        "agent": None,
        "journey": None,
    }
    if record.agent_id is not None:
        login, name = agent or (None, None)
        body["agent"] = {"id": record.agent_id, "login": login, "name": name}
    if journey is not None:
        body["journey"] = ivr(journey)
    elif record.journey_id is not None:
        body["journey"] = {"id": record.journey_id}
    return body


def candidate(found: Candidate) -> dict[str, Any]:
    return {
        "customer": customer(found.customer),
        "identity": {"kind": found.kind, "value": found.value},
        "rule": found.rule,
    }


def merge(record: MergeRecord) -> dict[str, Any]:
    moved = record.moved
    return {
        "id": record.id,
        "survivor_id": record.survivor_id,
        "merged_id": record.merged_id,
        "merged_at": when(record.merged_at),
        "by": str(record.actor),
        "moved": {
            name: len(moved.get(name, []))
            for name in ("identities", "interactions", "journeys", "profile_data")
        }
        | {"profile_replaced": sorted(moved.get("profile_replaced", {}))},
        "undone_at": when(record.undone_at),
        "undone_by": record.undone_by,
    }


def audit(record: AuditRecord) -> dict[str, Any]:
    return {
        "at": when(record.at),
        "by": str(record.actor),
        "action": record.action,
        "target": f"{record.target_kind}:{record.target_id}",
        "detail": record.detail,
    }


def journey_full(journey: JourneyRecord) -> dict[str, Any]:
    """Every stored field of a journey (for export), plus the readable IVR view."""
    return {
        "ivr": ivr(journey),
        "caller": journey.caller,
        "scenario_version": journey.scenario_version,
        "path": journey.path,
        "inputs": journey.inputs,
        "resume_token": journey.resume_token,
    }


def recordings(export: CustomerExport) -> list[dict[str, Any]]:
    """References to call recordings: interaction data under ``recording``/``recordings``."""
    found = []
    for item in export.interactions:
        for key in ("recording", "recordings"):
            value = item.data.get(key)
            refs = value if isinstance(value, list) else [value] if value else []
            found.extend({"interaction_id": item.id, "ref": ref} for ref in refs)
    return found


def export(document: CustomerExport) -> dict[str, Any]:
    return {
        "format": "omnivox.customer-export/1",
        "exported_at": when(document.exported_at),
        "customer": customer(document.customer),
        "merged_profiles": [customer(c) for c in document.merged],
        "profile_data": {
            str(cid): profile(values) for cid, values in document.profile_data.items()
        },
        "timeline": [interaction(i) for i in document.interactions],
        "journeys": [journey_full(j) for j in document.journeys],
        "recordings": recordings(document),
        "merges": [merge(m) for m in document.merges],
        "audit": [audit(a) for a in document.audit],
    }


def erasure(record: ErasureRecord) -> dict[str, Any]:
    return {
        "customer_id": record.customer_id,
        "customer_ids": list(record.customer_ids),
        "erased_at": when(record.erased_at),
        "by": str(record.actor),
        "removed": record.counts,
    }
