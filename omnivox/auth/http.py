"""Sign-in over HTTP: ``POST /auth/login``, ``POST /auth/logout``, ``GET /auth/me``, and the
middleware that puts the request's :class:`Principal` (or ``None``) at ``request[PRINCIPAL]``
(a ``web.RequestKey`` named "principal").

A token is accepted from ``Authorization: Bearer <token>`` or the ``omnivox_session`` cookie
(HttpOnly, SameSite=Strict). Handlers that need a signed-in agent call :func:`require_principal`,
which answers 401 with the reason (no token, bad signature, expired, signed out).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from aiohttp import web

from omnivox.auth.principal import Principal
from omnivox.auth.sessions import Sessions, SignInFailed, TooManyAttempts
from omnivox.auth.tokens import Claims, InvalidToken

COOKIE = "omnivox_session"
PUBLIC_PREFIXES = ("/desktop/static/",)  # no session lookup (a Redis round trip) for assets
SESSIONS = web.AppKey("auth_sessions", Sessions)
SignOutHook = Callable[[Claims], Awaitable[None]]
SIGN_OUT_HOOKS = web.AppKey("auth_sign_out_hooks", list[SignOutHook])
SECURE_COOKIE = web.AppKey("auth_secure_cookie", bool)
# request storage: the authenticated Principal (or None), and why a presented token was refused
PRINCIPAL = web.RequestKey("principal", object)
AUTH_ERROR = web.RequestKey("auth_error", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error(status: int, code: str, message: str, field: str | None = None) -> web.HTTPException:
    """A JSON ``{error, message[, field]}`` HTTP error to raise."""
    body: dict[str, Any] = {"error": code, "message": message}
    if field is not None:
        body["field"] = field
    cls = _STATUS[status]
    return cls(text=web.json_response(body).text, content_type="application/json")


_STATUS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    409: web.HTTPConflict,
    422: web.HTTPUnprocessableEntity,
    429: web.HTTPTooManyRequests,
}


def token_of(request: web.Request) -> str | None:
    """The session token the request presents: Bearer header first, then the cookie."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.cookies.get(COOKIE) or None


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate the token if any; never refuses by itself (see :func:`require_principal`)."""
    if request.path.startswith(PUBLIC_PREFIXES):
        return await handler(request)
    if request.get(PRINCIPAL) is None:  # another scheme (API keys) may have set it first
        request[PRINCIPAL] = None
        token = token_of(request)
        if token is not None:
            try:
                request[PRINCIPAL] = await request.app[SESSIONS].authenticate(token)
            except InvalidToken as exc:
                request[AUTH_ERROR] = str(exc)
    return await handler(request)


def require_principal(request: web.Request) -> Principal:
    """The signed-in agent of ``request``; raises 401 with the reason otherwise."""
    principal = request.get(PRINCIPAL)
    if isinstance(principal, Principal) and principal.kind == "agent":
        return principal
    reason = request.get(AUTH_ERROR) or "sign in first"
    raise error(401, "unauthorized", reason)


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _is_form(request: web.Request) -> bool:
    return request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")


async def _credentials(request: web.Request) -> tuple[Any, Any]:
    if _is_form(request):
        form = await request.post()
        return form.get("login"), form.get("password")
    try:
        data = await request.json()
    except ValueError:
        raise error(400, "bad_request", "body is not JSON or a form") from None
    if not isinstance(data, dict):
        raise error(400, "bad_request", "body must be a JSON object")
    return data.get("login"), data.get("password")


async def login(request: web.Request) -> web.StreamResponse:
    """JSON: ``{login, password}`` -> ``{token, expires_at, principal}`` and the cookie.
    A form post (the sign-in page without script) is redirected to the desktop instead."""
    name, password = await _credentials(request)
    for field, value in (("login", name), ("password", password)):
        if not isinstance(value, str) or not value:
            if _is_form(request):
                raise web.HTTPSeeOther(f"/?error={quote(f'{field} is required')}")
            raise error(422, "invalid", f"{field} is required (text)", field)
    assert isinstance(name, str) and isinstance(password, str)
    try:
        token, claims = await request.app[SESSIONS].sign_in(name, password)
    except TooManyAttempts as exc:
        if _is_form(request):
            raise web.HTTPSeeOther(f"/?error={quote(str(exc))}") from None
        raise error(429, "too_many_attempts", str(exc)) from None
    except SignInFailed as exc:
        if _is_form(request):
            raise web.HTTPSeeOther(f"/?error={quote(str(exc))}") from None
        raise error(401, "sign_in_failed", str(exc)) from None
    if _is_form(request):
        response: web.StreamResponse = _see_other("/desktop")
    else:
        body = {
            "token": token,
            "expires_at": claims.expires_at,
            "principal": claims.principal().to_dict(),
        }
        response = web.json_response(body)
    response.set_cookie(
        COOKIE,
        token,
        max_age=claims.expires_at - claims.issued_at,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.app[SECURE_COOKIE],
    )
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    """Revoke the presented token and clear the cookie (idempotent)."""
    token = token_of(request)
    claims = await request.app[SESSIONS].sign_out(token) if token else None
    if claims is not None:
        for hook in request.app[SIGN_OUT_HOOKS]:
            await hook(claims)
    response: web.StreamResponse
    if _is_form(request):
        response = _see_other("/")
    else:
        response = web.json_response({"signed_out": claims is not None})
    response.del_cookie(COOKIE, path="/")
    return response


async def me(request: web.Request) -> web.Response:
    return web.json_response(require_principal(request).to_dict())


def setup(app: web.Application, sessions: Sessions, *, secure_cookie: bool = False) -> None:
    """Mount the middleware and the sign-in routes; ``app[SIGN_OUT_HOOKS]`` runs on logout."""
    app[SESSIONS] = sessions
    app[SECURE_COOKIE] = secure_cookie
    app[SIGN_OUT_HOOKS] = []
    app.middlewares.append(auth_middleware)
    app.router.add_post("/auth/login", login)
    app.router.add_post("/auth/logout", logout)
    app.router.add_get("/auth/me", me)
