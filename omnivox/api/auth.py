"""Who may call the omnichannel API: API keys of channel integrations, and signed-in agents.

A key looks like ``ovx_<43 url-safe characters>`` (256 random bits). Only its SHA-256 is
stored: a key is random, so a fast hash is enough (a slow KDF is for guessable passwords).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from customers import validation as v
from customers.exceptions import StoreUnavailable
from customers.records import SYSTEM, Actor
from customers.store import CustomerStore
from omnivox.api.errors import ApiError, Handler

# one request key for the caller, shared with the desktop's session middleware
from omnivox.auth.http import AUTH_ERROR, PRINCIPAL

KEY_PREFIX = "ovx_"
SCOPES: tuple[str, ...] = v.API_SCOPES
# what a signed-in agent may do on this API, by role
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "agent": frozenset({"customers:read", "customers:write", "interactions:write"}),
    "supervisor": frozenset({"customers:read", "customers:write", "interactions:write"}),
    "admin": frozenset(SCOPES),
}
STORE = web.AppKey("api_keys_store", CustomerStore)


class PrincipalLike(Protocol):
    """What :func:`require` reads from ``request["principal"]``."""

    @property
    def kind(self) -> str: ...
    @property
    def id(self) -> Any: ...
    @property
    def scopes(self) -> Collection[str]: ...


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: an API key (``role="integration"``) or an agent."""

    kind: str  # "api_key" or "agent"
    id: int
    role: str
    scopes: frozenset[str]
    name: str = ""


def granted(principal: PrincipalLike) -> frozenset[str]:
    """The API scopes ``principal`` holds: its own, plus its role's if it is an agent."""
    own = frozenset(getattr(principal, "scopes", ()) or ())
    if getattr(principal, "kind", None) == "agent":
        own |= ROLE_SCOPES.get(getattr(principal, "role", ""), frozenset())
    return own


def principal_of(request: web.Request) -> Any:
    """The request's principal: at :data:`PRINCIPAL`, else at the plain key ``"principal"``."""
    found = request.get(PRINCIPAL)
    return found if found is not None else request.get("principal")


def actor_of(principal: PrincipalLike) -> Actor:
    """The principal as the audit log names it."""
    kind = principal.kind if principal.kind in v.ACTOR_KINDS else "system"
    return Actor(kind, str(principal.id))


def require(scope: str) -> Any:
    """Decorate a handler: 401 without a principal, 403 naming ``scope`` without it."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; expected one of {', '.join(SCOPES)}")

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapped(request: web.Request) -> web.StreamResponse:
            principal = principal_of(request)
            if principal is None:
                reason = (
                    request.get(AUTH_ERROR)
                    or request.get("auth_error")
                    or ("send an API key as 'Authorization: Bearer ovx_...' or sign in")
                )
                raise ApiError(401, "unauthorized", reason).response(
                    {"WWW-Authenticate": 'Bearer realm="omnivox"'}
                )
            if scope not in granted(principal):
                held = ", ".join(sorted(granted(principal))) or "none"
                raise ApiError(
                    403,
                    "forbidden",
                    f"this needs the scope {scope}; {principal.kind} {principal.id} has: {held}",
                    scope=scope,
                ).response()
            return await handler(request)

        wrapped.required_scope = scope  # type: ignore[attr-defined]  # read by the OpenAPI test
        return wrapped

    return decorate


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_api_key(
    store: CustomerStore, name: str, scopes: Sequence[str], *, actor: Actor = SYSTEM
) -> str:
    """Create a key with ``scopes`` and return it: it is shown once and never stored."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    await store.add_api_key(
        name, scopes, key_hash=hash_key(key), prefix=key[: len(KEY_PREFIX) + 6], actor=actor
    )
    return key


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() != "bearer ":
        return None
    token = header[7:].strip()
    return token if token.startswith(KEY_PREFIX) else None


@web.middleware
async def api_key_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Put the :class:`Principal` of an ``ovx_`` bearer key at ``request[PRINCIPAL]``.

    Other bearer tokens and requests without one pass untouched (an agent session middleware
    may handle them, in either order). A wrong or revoked ``ovx_`` key is refused here: 401.
    """
    key = _bearer(request)
    if key is not None:
        try:
            record = await request.app[STORE].api_key_by_hash(hash_key(key))
        except StoreUnavailable:
            raise ApiError(503, "unavailable", "cannot check the API key now").response() from None
        if record is None or record.revoked_at is not None:
            reason = "this API key is revoked" if record else "this API key is not valid"
            raise ApiError(401, "unauthorized", reason).response(
                {"WWW-Authenticate": 'Bearer realm="omnivox", error="invalid_token"'}
            )
        request[PRINCIPAL] = Principal(
            "api_key", record.id, "integration", frozenset(record.scopes), record.name
        )
    return await handler(request)
