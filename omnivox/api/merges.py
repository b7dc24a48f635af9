"""Merging two profiles of one person, and splitting them back (see
:mod:`customers.store.merges` for exactly what moves and what undo restores)."""

from __future__ import annotations

from aiohttp import web

from omnivox.api import views
from omnivox.api.auth import require
from omnivox.api.common import actor, body, path_id, store
from omnivox.api.errors import json_errors


@json_errors
@require("customers:write")
async def merge(request: web.Request) -> web.Response:
    """``POST /api/customers/{id}/merge`` with ``{"merged_id": n}``: n joins {id}."""
    survivor_id = path_id(request)
    data = await body(request, "MergeRequest")
    s = store(request)
    record = await s.merge_customers(survivor_id, data["merged_id"], actor=actor(request))
    survivor = await s.resolve_customer(survivor_id)
    answer = {"merge": views.merge(record), "customer": views.customer(survivor)}
    return web.json_response(answer, status=201, headers={"Location": f"/api/merges/{record.id}"})


@json_errors
@require("merges:undo")
async def undo(request: web.Request) -> web.Response:
    """``POST /api/merges/{id}/undo``: split the merged customer back out."""
    s = store(request)
    record = await s.undo_merge(path_id(request), actor=actor(request))
    answer = {
        "merge": views.merge(record),
        "survivor": views.customer(await s.resolve_customer(record.survivor_id)),
        "restored": views.customer(await s.resolve_customer(record.merged_id)),
    }
    return web.json_response(answer)
