"""``POST /api/interactions``: ingest a contact from another channel, idempotently.

The customer is found by the rules of :mod:`customers.store.ingest`; the answer says how:
``known`` (customer_id or an exact identity), ``maybe`` (``accept_maybe`` and one customer by a
weaker rule) or ``created``. 201 for a new interaction, 200 when the idempotency key was used
before (the stored one is returned, nothing is written).
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from omnivox.api import views
from omnivox.api.auth import require
from omnivox.api.common import CLOCK, actor, body, identity_pairs, instant, store
from omnivox.api.errors import invalid, json_errors

FUTURE_TOLERANCE = timedelta(minutes=5)  # clock skew between a channel and us


@json_errors
@require("interactions:write")
async def ingest(request: web.Request) -> web.Response:
    data = await body(request, "NewInteraction")
    header = request.headers.get("Idempotency-Key", "").strip() or None
    key = data.get("idempotency_key")
    if header and key and header != key:
        raise invalid("idempotency_key", "differs from the Idempotency-Key header")
    key = header or key
    if key is None:
        raise invalid("idempotency_key", "required (in the body or the Idempotency-Key header)")
    now = request.app[CLOCK]()
    occurred_at = now
    if "occurred_at" in data:
        occurred_at = instant("occurred_at", data["occurred_at"])
        if occurred_at > now + FUTURE_TOLERANCE:
            raise invalid("occurred_at", f"{data['occurred_at']} is in the future")
    result = await store(request).ingest_interaction(
        actor(request),
        idempotency_key=key,
        channel=data["channel"],
        direction=data["direction"],
        occurred_at=occurred_at,
        intent=data.get("intent"),
        topic=data.get("topic"),
        summary=data.get("summary"),
        outcome=data.get("outcome"),
        open=data.get("open", False),
        data=data.get("data"),
        customer_id=data.get("customer_id"),
        identities=identity_pairs(data.get("identities", [])),
        display_name=data.get("display_name"),
        accept_maybe=data.get("accept_maybe", False),
        create=data.get("on_unknown", "create") == "create",
    )
    answer = {
        "interaction": views.interaction(result.interaction),
        "customer_id": result.customer_id,
        "match": result.match,
        "replayed": result.replayed,
        "candidates": list(result.candidates),
        "identities_added": [views.identity(i) for i in result.identities_added],
    }
    return web.json_response(answer, status=200 if result.replayed else 201)
