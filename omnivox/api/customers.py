"""Customers: create, read with the cross-channel timeline, and search by any identity.

``GET /api/customers/{id}`` answers for an id that was merged away with the survivor and
``resolved_from``; the timeline is newest first, ``limit`` (1..500, default 50) per page, the
next page by passing ``next_cursor`` as ``before``. A voice interaction carries its IVR journey.
"""

from __future__ import annotations

from aiohttp import web

from customers.exceptions import InvalidCursor, InvalidValue
from customers.identities import IDENTITY_KINDS
from omnivox.api import views
from omnivox.api.auth import require
from omnivox.api.common import actor, body, identity_pairs, path_id, store
from omnivox.api.errors import invalid, json_errors

DEFAULT_PAGE, MAX_PAGE = 50, 500


@json_errors
@require("customers:write")
async def create(request: web.Request) -> web.Response:
    data = await body(request, "NewCustomer")
    record = await store(request).add_customer(
        actor(request),
        data.get("display_name"),
        segment=data.get("segment"),
        vip=data.get("vip", False),
        language=data.get("language"),
        attributes=data.get("attributes"),
        identities=identity_pairs(data.get("identities", [])),
    )
    return web.json_response(
        {"customer": views.customer(record)},
        status=201,
        headers={"Location": f"/api/customers/{record.id}"},
    )


@json_errors
@require("customers:read")
async def read(request: web.Request) -> web.Response:
    asked = path_id(request)
    limit = _limit(request)
    before = request.query.get("before") or None
    s = store(request)
    record = await s.resolve_customer(asked)
    try:
        page = await s.timeline(record.id, limit=limit, before=before)
    except InvalidCursor as error:
        raise invalid("before", str(error).partition(": ")[2], status=400) from None
    journeys = await s.journeys_by_id(i.journey_id for i in page.items if i.journey_id)
    agents = await s.agent_names(i.agent_id for i in page.items if i.agent_id)
    items = [
        views.interaction(
            i,
            journeys.get(i.journey_id) if i.journey_id else None,
            agents.get(i.agent_id) if i.agent_id else None,
        )
        for i in page.items
    ]
    merges = [m for m in await s.merges_of(record.id) if m.survivor_id == record.id]
    answer = {
        "customer": views.customer(record),
        "resolved_from": asked if asked != record.id else None,
        "profile_data": views.profile(await s.profile_data(record.id)),
        "timeline": {"items": items, "next_cursor": page.next_cursor},
        "merges": [views.merge(m) for m in merges if m.undone_at is None],
    }
    return web.json_response(answer)


@json_errors
@require("customers:read")
async def search(request: web.Request) -> web.Response:
    """``?identity=kind:value``: who that is, exactly (``known``) or by a weaker rule."""
    given = request.query.get("identity")
    if not given:
        raise invalid("identity", "required: ?identity=kind:value (e.g. phone:+12025550143)", 400)
    kind, sep, value = given.partition(":")
    if not sep or kind not in IDENTITY_KINDS:
        raise invalid(
            "identity", f"expected kind:value with kind one of {', '.join(IDENTITY_KINDS)}", 400
        )
    try:
        found = await store(request).match_identity(kind, value)
    except InvalidValue as error:
        raise invalid("identity", str(error).partition(": ")[2], status=400) from None
    answer = {
        "match": found.match,
        "kind": found.kind,
        "value": found.value,
        "candidates": [views.candidate(c) for c in found.candidates],
    }
    return web.json_response(answer)


def _limit(request: web.Request) -> int:
    text = request.query.get("limit")
    if text is None:
        return DEFAULT_PAGE
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise invalid("limit", f"expected an integer 1..{MAX_PAGE}, got {text!r}", status=400)
    return int(text)
