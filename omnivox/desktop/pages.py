"""The two pages (``GET /`` sign-in, ``GET /desktop``) and their static files, served locally
(no CDN, no build step) with a strict Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from omnivox.auth.http import PRINCIPAL
from omnivox.auth.principal import Principal

STATIC = Path(__file__).with_name("static")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _page(name: str) -> web.FileResponse:
    return web.FileResponse(STATIC / name, headers={"Cache-Control": "no-store"})


async def sign_in_page(request: web.Request) -> web.StreamResponse:
    if isinstance(request.get(PRINCIPAL), Principal):
        raise web.HTTPSeeOther("/desktop")
    return _page("signin.html")


async def desktop_page(request: web.Request) -> web.StreamResponse:
    if not isinstance(request.get(PRINCIPAL), Principal):
        raise web.HTTPSeeOther("/")
    return _page("desktop.html")


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Headers for the desktop's pages, scripts and JSON (not for other parts of the app)."""
    response = await handler(request)
    if request.path == "/" or request.path.startswith(("/desktop", "/auth/")):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def setup(app: web.Application) -> None:
    app.middlewares.append(security_headers)
    app.router.add_get("/", sign_in_page)
    app.router.add_get("/desktop", desktop_page)
    app.router.add_static("/desktop/static/", STATIC, name="desktop_static")
