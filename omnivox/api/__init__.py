"""The omnichannel API: customers, identities and interactions from every channel, merges that
can be undone, privacy export and erasure, every write audited. OpenAPI at ``/api/openapi.json``.

Mount it with :func:`setup`. Who is calling is decided by middlewares, before any handler:

* **The principal contract.** A middleware authenticates the request and puts an object at
  ``request[PRINCIPAL]`` (a ``web.RequestKey``; aiohttp warns about str keys), or leaves it
  unset / ``None``. For compatibility the plain key ``request["principal"]`` is read too, after
  ``PRINCIPAL``. Any object with ``kind`` (``"api_key"`` or ``"agent"``), ``id``, ``role`` and
  ``scopes`` (a collection of str) will do: :class:`Principal` from API keys, or the agent
  principal of ``omnivox.auth``. A middleware that could not authenticate may put the reason at
  ``request[AUTH_ERROR]`` (or ``"auth_error"``); it is shown in the 401.
* :func:`api_key_middleware` (added by :func:`setup`) handles ``Authorization: Bearer ovx_...``
  keys: a valid key becomes a :class:`Principal` at ``PRINCIPAL`` (which wins over anything at
  ``"principal"``), a wrong or revoked key is refused with 401. Other tokens pass untouched, so
  it works before or after an agent-session middleware.
* :func:`require` (``@require("customers:read")``) answers 401 without a principal and 403 naming
  the scope when :func:`granted` lacks it. Granted = the principal's own ``scopes``, plus, for
  ``kind == "agent"``, :data:`ROLE_SCOPES` of its ``role`` (agent and supervisor: read, write,
  ingest; admin: everything, including ``merges:undo`` and ``privacy``).
* Audit entries name the principal as ``kind:id`` (:func:`actor_of`).

Scopes: ``interactions:write``, ``customers:read``, ``customers:write`` (create, merge),
``merges:undo``, ``privacy`` (export, erase). Keys are made by :func:`create_api_key`.
"""

from __future__ import annotations

from aiohttp import web

from customers.store import CustomerStore
from ivr.call.handler import Clock, utc_now
from omnivox.api.auth import (
    AUTH_ERROR,
    KEY_PREFIX,
    PRINCIPAL,
    ROLE_SCOPES,
    SCOPES,
    STORE,
    Principal,
    actor_of,
    api_key_middleware,
    create_api_key,
    granted,
    principal_of,
    require,
)
from omnivox.api.common import CLOCK
from omnivox.api.openapi import ROUTES, build

__all__ = [
    "AUTH_ERROR",
    "KEY_PREFIX",
    "PRINCIPAL",
    "ROLE_SCOPES",
    "SCOPES",
    "Principal",
    "actor_of",
    "api_key_middleware",
    "build",
    "create_api_key",
    "granted",
    "principal_of",
    "require",
    "setup",
]


def setup(app: web.Application, store: CustomerStore, *, clock: Clock = utc_now) -> None:
    """Mount the API's routes and the API-key middleware on ``app`` (before it starts).

    ``clock`` gives "now" for interactions without ``occurred_at``; the store's default region
    (its constructor argument) decides how national phone numbers are read.
    """
    app[STORE] = store
    app[CLOCK] = clock
    app.middlewares.append(api_key_middleware)
    for route in ROUTES:
        app.router.add_route(route.method, route.path, route.handler)
