"""What the API's handlers share: the app keys, reading the body, ids in paths, the actor."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from customers.records import Actor
from customers.store import CustomerStore
from omnivox.api.auth import STORE, actor_of, principal_of
from omnivox.api.errors import invalid
from omnivox.api.schemas import check

Clock = Callable[[], datetime]
CLOCK = web.AppKey("api_clock", Clock)


def store(request: web.Request) -> CustomerStore:
    return request.app[STORE]


def actor(request: web.Request) -> Actor:
    return actor_of(principal_of(request))


async def body(request: web.Request, schema: str) -> dict[str, Any]:
    """The JSON object of the request, checked against ``schema``: 400 if it is not a JSON
    object, 422 naming the field if it does not match. (aiohttp refuses bodies over 1 MiB.)"""
    raw = await request.read()
    try:
        data = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError) as error:
        raise invalid("body", f"not JSON: {error}", status=400) from None
    if not isinstance(data, dict):
        raise invalid("body", "expected a JSON object", status=400)
    return check(schema, data)


def path_id(request: web.Request, name: str = "id") -> int:
    """The positive integer in the path; 400 naming it otherwise."""
    text = request.match_info[name]
    if not text.isdigit() or int(text) < 1 or len(text) > 18:
        raise invalid(name, f"{text!r} is not an id (a positive integer)", status=400)
    return int(text)


def instant(field: str, text: str) -> datetime:
    """An ISO 8601 timestamp with a UTC offset; 422 naming ``field`` otherwise."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(field, f"{text!r} is not an ISO 8601 date-time") from None
    if value.tzinfo is None:
        raise invalid(field, f"{text!r} has no UTC offset (e.g. 2024-05-01T09:30:00+02:00)")
    return value


def identity_pairs(items: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(item["kind"], item["value"]) for item in items]
