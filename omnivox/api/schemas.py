"""JSON Schemas (2020-12, as OpenAPI 3.1 uses) of the API's bodies, and request validation
against them: the document and the checks cannot drift apart."""

from __future__ import annotations

from collections import deque
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from customers import validation as v
from customers.identities import IDENTITY_KINDS, MAX_IDENTITY_LENGTH
from omnivox.api.errors import invalid

Schema = dict[str, Any]
BASE = "urn:omnivox:api"


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _text(max_length: int, nullable: bool = True) -> Schema:
    schema: Schema = {"type": "string", "minLength": 1, "maxLength": max_length}
    return {"anyOf": [schema, {"type": "null"}]} if nullable else schema


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


_STAMP = {"type": "string", "format": "date-time"}
_IDENTITIES = {"type": "array", "items": ref("IdentityInput"), "maxItems": 20}

COMPONENTS: dict[str, Schema] = {
    "IdentityInput": {
        "type": "object",
        "required": ["kind", "value"],
        "additionalProperties": False,
        "properties": {
            "kind": {"enum": list(IDENTITY_KINDS)},
            "value": {"type": "string", "minLength": 1, "maxLength": MAX_IDENTITY_LENGTH},
        },
    },
    "NewInteraction": {
        "type": "object",
        "description": (
            "An interaction from another channel. Give customer_id or at least one identity. "
            "The idempotency key may come in the Idempotency-Key header instead."
        ),
        "required": ["channel", "direction"],
        "additionalProperties": False,
        "properties": {
            "idempotency_key": _text(200, nullable=False),
            "channel": {"enum": list(v.CHANNELS)},
            "direction": {"enum": list(v.DIRECTIONS)},
            "occurred_at": _STAMP | {"description": "with a UTC offset; default: now"},
            "intent": _text(100),
            "topic": _text(1000),
            "summary": _text(20000),
            "outcome": _nullable({"enum": list(v.OUTCOMES)}),
            "open": {"type": "boolean"},
            "data": {"type": "object"},
            "customer_id": {"type": "integer", "minimum": 1},
            "identities": _IDENTITIES,
            "display_name": _text(200),
            "on_unknown": {
                "enum": ["create", "reject"],
                "description": "no customer is known by the identities: create one (default)",
            },
            "accept_maybe": {
                "type": "boolean",
                "description": "attach to the one customer a weaker rule points at",
            },
        },
    },
    "NewCustomer": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "display_name": _text(200),
            "segment": _text(64),
            "vip": {"type": "boolean"},
            "language": _text(35),
            "attributes": {"type": "object"},
            "identities": _IDENTITIES,
        },
    },
    "MergeRequest": {
        "type": "object",
        "required": ["merged_id"],
        "additionalProperties": False,
        "properties": {
            "merged_id": {
                "type": "integer",
                "minimum": 1,
                "description": "the customer merged into the one in the path",
            }
        },
    },
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "field": {"type": "string"},
        },
    },
    "Identity": {
        "type": "object",
        "required": ["kind", "value", "verified"],
        "properties": {
            "kind": {"enum": list(IDENTITY_KINDS)},
            "value": {"type": "string"},
            "verified": {"type": "boolean"},
        },
    },
    "Customer": {
        "type": "object",
        "required": ["id", "vip", "attributes", "created_at", "identities"],
        "properties": {
            "id": {"type": "integer"},
            "display_name": {"type": ["string", "null"]},
            "segment": {"type": ["string", "null"]},
            "vip": {"type": "boolean"},
            "language": {"type": ["string", "null"]},
            "attributes": {"type": "object"},
            "created_at": _STAMP,
            "merged_into": {"type": ["integer", "null"]},
            "identities": {"type": "array", "items": ref("Identity")},
        },
    },
    "IvrJourney": {
        "type": "object",
        "description": "the IVR path of a voice interaction",
        "required": ["id", "call_id", "scenario", "status", "menus", "inputs", "collected"],
        "properties": {
            "id": {"type": "integer"},
            "call_id": {"type": "string"},
            "scenario": {"type": "string"},
            "status": {"enum": list(v.JOURNEY_STATUSES)},
            "started_at": _STAMP,
            "ended_at": _nullable(_STAMP),
            "menus": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "menu": {"type": ["string", "null"]},
                        "heard": {"type": "array", "description": "options in the order heard"},
                        "promoted": {"type": "array"},
                        "reasons": {"type": "object", "description": "intent -> why promoted"},
                    },
                },
            },
            "inputs": {"type": "array", "description": "keys pressed and speech, in order"},
            "collected": {"type": "object"},
            "intent": {"type": ["string", "null"]},
            "service": {"type": ["string", "null"]},
            "stopped_at": {"type": ["string", "null"]},
        },
    },
    "Interaction": {
        "type": "object",
        "required": ["id", "customer_id", "channel", "direction", "occurred_at", "open", "data"],
        "properties": {
            "id": {"type": "integer"},
            "customer_id": {"type": "integer"},
            "channel": {"enum": list(v.CHANNELS)},
            "direction": {"enum": list(v.DIRECTIONS)},
            "occurred_at": _STAMP,
            "intent": {"type": ["string", "null"]},
            "topic": {"type": ["string", "null"]},
            "summary": {"type": ["string", "null"]},
            "outcome": _nullable({"enum": list(v.OUTCOMES)}),
            "open": {"type": "boolean"},
            "data": {"type": "object"},
            "idempotency_key": {"type": ["string", "null"]},
            "agent": _nullable({"type": "object"}),
            "journey": _nullable({"anyOf": [ref("IvrJourney"), {"type": "object"}]}),
        },
    },
    "IngestResult": {
        "type": "object",
        "required": ["interaction", "customer_id", "match", "replayed", "candidates"],
        "properties": {
            "interaction": ref("Interaction"),
            "customer_id": {"type": "integer"},
            "match": {"enum": ["known", "maybe", "created"]},
            "replayed": {"type": "boolean"},
            "candidates": {"type": "array", "items": {"type": "integer"}},
            "identities_added": {"type": "array", "items": ref("Identity")},
        },
    },
    "CustomerView": {
        "type": "object",
        "required": ["customer", "profile_data", "timeline", "merges"],
        "properties": {
            "customer": ref("Customer"),
            "resolved_from": {
                "type": ["integer", "null"],
                "description": "the id asked for, when it was merged into this customer",
            },
            "profile_data": {"type": "object"},
            "timeline": {
                "type": "object",
                "required": ["items", "next_cursor"],
                "properties": {
                    "items": {"type": "array", "items": ref("Interaction")},
                    "next_cursor": {"type": ["string", "null"]},
                },
            },
            "merges": {"type": "array", "items": ref("Merge")},
        },
    },
    "SearchResult": {
        "type": "object",
        "required": ["match", "kind", "value", "candidates"],
        "properties": {
            "match": {"enum": ["known", "maybe", "none"]},
            "kind": {"type": "string"},
            "value": {"type": "string", "description": "the normalised identity"},
            "candidates": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["customer", "identity", "rule"],
                    "properties": {
                        "customer": ref("Customer"),
                        "identity": {"type": "object"},
                        "rule": {"type": "string"},
                    },
                },
            },
        },
    },
    "Merge": {
        "type": "object",
        "required": ["id", "survivor_id", "merged_id", "merged_at", "moved"],
        "properties": {
            "id": {"type": "integer"},
            "survivor_id": {"type": "integer"},
            "merged_id": {"type": "integer"},
            "merged_at": _STAMP,
            "by": {"type": "string"},
            "moved": {"type": "object"},
            "undone_at": _nullable(_STAMP),
            "undone_by": {"type": ["string", "null"]},
        },
    },
    "Export": {
        "type": "object",
        "required": ["format", "customer", "timeline", "journeys", "profile_data", "audit"],
        "properties": {
            "format": {"const": "omnivox.customer-export/1"},
            "exported_at": _STAMP,
            "customer": ref("Customer"),
            "merged_profiles": {"type": "array", "items": ref("Customer")},
            "profile_data": {"type": "object", "description": "customer id -> field -> value"},
            "timeline": {"type": "array", "items": ref("Interaction")},
            "journeys": {"type": "array"},
            "recordings": {"type": "array"},
            "merges": {"type": "array", "items": ref("Merge")},
            "audit": {"type": "array"},
        },
    },
    "Erasure": {
        "type": "object",
        "required": ["customer_id", "customer_ids", "erased_at", "removed"],
        "properties": {
            "customer_id": {"type": "integer"},
            "customer_ids": {"type": "array", "items": {"type": "integer"}},
            "erased_at": _STAMP,
            "by": {"type": "string"},
            "removed": {"type": "object", "description": "how many of each were removed"},
        },
    },
}


@cache
def _validator(name: str) -> Draft202012Validator:
    document = {"components": {"schemas": COMPONENTS}}
    registry: Registry[Any] = Registry().with_resource(
        BASE, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return Draft202012Validator({"$ref": f"{BASE}#/components/schemas/{name}"}, registry=registry)


def field_path(error: ValidationError) -> str:
    """``identities[0].value`` for an error at that place (the missing or extra property named
    for ``required`` and ``additionalProperties``)."""
    path = ""
    for part in deque(error.absolute_path):
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    instance = error.instance if isinstance(error.instance, dict) else {}
    if error.validator == "required":
        missing = [p for p in error.validator_value if p not in instance]
        path += f".{missing[0]}" if missing else ""
    elif error.validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(p for p in instance if p not in allowed)
        path += f".{extra[0]}" if extra else ""
    return path.lstrip(".") or "body"


def errors(name: str, body: object) -> list[ValidationError]:
    return list(_validator(name).iter_errors(body))


def check(name: str, body: object) -> dict[str, Any]:
    """``body`` if it matches schema ``name``; else 422 naming the first field at fault."""
    found = best_match(_validator(name).iter_errors(body))
    if found is not None:
        field = field_path(found)
        reason = found.message
        if found.validator == "additionalProperties":
            reason = f"{field!r} is not a field of {name}"
        raise invalid(field, reason)
    assert isinstance(body, dict)
    return body
