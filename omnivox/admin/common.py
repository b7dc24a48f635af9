"""What every admin route shares: app keys, the admin-only guard (with the cross-site check
for cookie sessions), JSON-or-HTML answers and the pages' security headers.

Cross-site requests: the session cookie is ``SameSite=Strict`` (``omnivox.auth.http``), so a
browser does not send it with another site's request; as a second line, a state-changing
request authenticated by the cookie must also carry an ``Origin`` (or ``Referer``) of this
host. Bearer-token requests need no such check: browsers never add that header on their own.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from aiohttp import web

from customers.store import CustomerStore
from ivr.prompts import PromptRenderer
from ivr.scenario import ScenarioSet
from omnivox.admin.graphviz import Graphviz
from omnivox.auth.http import AUTH_ERROR, PRINCIPAL
from omnivox.auth.principal import Principal
from routing.core.model import Service

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: with no-referrer a browser's form POST says "Origin: null"
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class AdminRouter(Protocol):
    """What the admin pages use of :class:`routing.service.Router`."""

    @property
    def services(self) -> Any: ...

    async def add_agent(self, record: Any) -> dict[str, Any]: ...

    async def agents(self) -> list[dict[str, Any]]: ...

    async def update_services(self, services: Any) -> None: ...


@dataclass
class AdminContext:
    """The admin pages' dependencies (one object under :data:`ADMIN` in the app)."""

    scenarios: ScenarioSet
    renderer: PromptRenderer
    store: CustomerStore
    router: AdminRouter
    routing_path: Path
    graphviz: Graphviz
    services_lock: asyncio.Lock

    def current_services(self) -> dict[str, Service]:
        return dict(self.router.services)


ADMIN = web.AppKey("admin", AdminContext)


def wants_json(request: web.Request) -> bool:
    """JSON clients (``Accept: application/json`` or a JSON body) get JSON, browsers HTML."""
    accept = request.headers.get("Accept", "")
    return "application/json" in accept or request.content_type == "application/json"


def json_error(status: int, message: str, **details: Any) -> web.Response:
    """``{error, message, ...}`` with ``status`` (``field``, ``line``... as details)."""
    body = {"error": _CODES.get(status, "server_error")}
    body |= {"message": message, **{k: v for k, v in details.items() if v is not None}}
    return web.json_response(body, status=status)


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "invalid",
}


def refusal(request: web.Request) -> tuple[int, str] | None:
    """(status, reason) if the request may not use the admin pages, else None."""
    principal = request.get(PRINCIPAL)
    if not isinstance(principal, Principal) or principal.kind != "agent":
        return 401, request.get(AUTH_ERROR) or "sign in first"
    if principal.role != "admin":
        return 403, "the admin pages need the role admin"
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        return cross_site(request)
    return None


def cross_site(request: web.Request) -> tuple[int, str] | None:
    """403 for a cookie-authenticated change whose Origin is not this host."""
    if request.headers.get("Authorization", "")[:7].lower() == "bearer ":
        return None
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin or origin == "null":
        return 403, "cross-site check: the request carries no Origin of this site"
    if urlsplit(origin).netloc != request.host:
        return 403, f"cross-site request refused (Origin {origin})"
    return None


def admin_only(
    render_refusal: Callable[[web.Request, int, str], web.Response],
) -> Callable[[Handler], Handler]:
    """Decorator factory: the handler runs only for a signed-in admin (see :func:`refusal`)."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            refused = refusal(request)
            if refused is not None:
                status, reason = refused
                if wants_json(request):
                    return json_error(status, reason)
                return render_refusal(request, status, reason)
            return await handler(request)

        return guarded

    return wrap


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The pages' CSP and friends, on every ``/admin`` answer (errors included)."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if request.path.startswith("/admin"):
            exc.headers.update(SECURITY_HEADERS)
        raise
    if request.path.startswith("/admin"):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


async def form_or_json(request: web.Request) -> dict[str, Any]:
    """The body as a dict: a JSON object, or the form's fields (text values)."""
    if request.content_type == "application/json":
        try:
            data = await request.json()
        except ValueError:
            raise BadBody("body is not JSON") from None
        if not isinstance(data, dict):
            raise BadBody("body must be a JSON object")
        return data
    form = await request.post()
    return {k: v for k, v in form.items() if isinstance(v, str)}


class BadBody(Exception):
    """The request body cannot be read as a form or a JSON object."""
