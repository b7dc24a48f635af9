"""Privacy requests: ``GET /api/customers/{id}/export`` (everything held, one JSON document)
and ``DELETE /api/customers/{id}`` (erase, leaving anonymous counts). Both audited; both act on
the person the id resolves to, with every profile merged into them."""

from __future__ import annotations

from aiohttp import web

from omnivox.api import views
from omnivox.api.auth import require
from omnivox.api.common import actor, path_id, store
from omnivox.api.errors import json_errors


@json_errors
@require("privacy")
async def export(request: web.Request) -> web.Response:
    document = await store(request).export_customer(path_id(request), actor=actor(request))
    name = f"customer-{document.customer.id}.json"
    return web.json_response(
        views.export(document),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@json_errors
@require("privacy")
async def erase(request: web.Request) -> web.Response:
    record = await store(request).erase_customer(path_id(request), actor=actor(request))
    return web.json_response({"erasure": views.erasure(record)})
