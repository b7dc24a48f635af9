"""The customer's side of an SMS link: ``GET /continue/{token}`` (the chat page, or a page
saying why the link does not work) and the API the page uses (documented in the OpenAPI
document): ``POST /api/continuations/{token}`` opens the chat, ``.../messages`` writes in it,
``GET .../events`` streams the agent's replies and the queue place (``omnivox.switch.stream``).

The token is the credential. Opening answers a chat ``session`` (also set as an HttpOnly
cookie) that later messages, and a reload of the page, present.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from aiohttp import web

from omnivox.desktop.keys import HUB
from omnivox.switch import agent_http, stream
from omnivox.switch.desk import HubDesk
from omnivox.switch.exceptions import SwitchError
from omnivox.switch.keys import SERVICE
from omnivox.switch.service import MAX_MESSAGE, SwitchService

STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "omnivox_chat"
COOKIE_MAX_AGE_S = 24 * 3600

# request bodies (merged into the OpenAPI document's components)
SCHEMAS: dict[str, dict[str, Any]] = {
    "ContinuationOpen": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "session": {
                "type": "string",
                "description": "the session of an earlier open (to reload the same chat)",
            }
        },
    },
    "ChatMessage": {
        "type": "object",
        "required": ["text"],
        "additionalProperties": False,
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": MAX_MESSAGE},
            "session": {"type": "string", "description": "as answered by the open (or cookie)"},
        },
    },
    "Continuation": {
        "type": "object",
        "required": ["chat_id", "session", "opened", "routed", "context"],
        "properties": {
            "chat_id": {"type": "string"},
            "session": {"type": "string"},
            "opened": {"type": "boolean", "description": "false: the chat opened before"},
            "routed": {"type": ["boolean", "null"], "description": "queued for an agent"},
            "context": {
                "type": "object",
                "description": "the call continued: intent, topic, service, stopped_at, "
                "collected (values masked), started_at",
            },
        },
    },
}


class ApiError(Exception):
    """An error answer, JSON ``{error, message, field}`` like the rest of the API."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field

    def body(self) -> dict[str, Any]:
        body = {"error": self.code, "message": self.message}
        return body if self.field is None else body | {"field": self.field}


def _service(request: web.Request) -> SwitchService:
    service = request.app.get(SERVICE)
    if service is None:
        raise ApiError(503, "unavailable", "channel switching is not set up on this server")
    return service


def _fail(error: SwitchError) -> ApiError:
    field = "text" if error.code == "invalid" else "token"
    return ApiError(error.status, error.code, str(error), None if error.status == 409 else field)


async def _json(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    try:
        data = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid", f"not JSON: {exc}", "body") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid", "expected a JSON object", "body")
    session = data.get("session")
    if session is not None and not isinstance(session, str):
        raise ApiError(422, "invalid", "session: expected a string", "session")
    return data


def _session(request: web.Request, data: dict[str, Any]) -> str | None:
    return data.get("session") or request.cookies.get(COOKIE)


async def open_chat(request: web.Request) -> web.Response:
    """``POST /api/continuations/{token}``: open the chat continuing the call (201), or the
    chat this session opened before (200)."""
    try:
        service = _service(request)
        data = await _json(request)
        view = await service.open(request.match_info["token"], _session(request, data))
    except SwitchError as exc:
        return _error(_fail(exc))
    except ApiError as exc:
        return _error(exc)
    reply = web.json_response(view, status=201 if view["opened"] else 200)
    reply.set_cookie(
        COOKIE,
        view["session"],
        max_age=COOKIE_MAX_AGE_S,
        httponly=True,
        samesite="Strict",
        path="/",
    )
    return reply


async def post_message(request: web.Request) -> web.Response:
    """``POST /api/continuations/{token}/messages``: the customer writes in the chat."""
    try:
        service = _service(request)
        data = await _json(request)
        stored = await service.post(
            request.match_info["token"], _session(request, data), data.get("text")
        )
    except SwitchError as exc:
        return _error(_fail(exc))
    except ApiError as exc:
        return _error(exc)
    return web.json_response(stored, status=201)


def _error(error: ApiError) -> web.Response:
    return web.json_response(error.body(), status=error.status)


_PAGE_TITLES = {
    "unknown_token": "This link is not valid",
    "expired_token": "This link has expired",
    "used_token": "This link was already used",
    "not_ready": "One moment",
}


async def page(request: web.Request) -> web.Response:
    """``GET /continue/{token}``: the chat page, or a 404/410 page saying why not."""
    service = request.app[SERVICE]
    try:
        await service.find(request.match_info["token"], request.cookies.get(COOKIE))
    except SwitchError as exc:
        title = _PAGE_TITLES.get(exc.code, "This link cannot be used")
        return web.Response(
            text=_error_page(title, str(exc)), status=exc.status, content_type="text/html"
        )
    body = (STATIC / "chat.html").read_text(encoding="utf-8")
    return web.Response(text=body, content_type="text/html", headers={"Cache-Control": "no-store"})


def _error_page(title: str, reason: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        '<link rel="stylesheet" href="/switch/static/chat.css"></head>'
        f'<body><main class="card" id="gone"><h1>{html.escape(title)}</h1>'
        f'<p id="reason">{html.escape(reason[:1].upper() + reason[1:])}.</p></main></body></html>'
    )


async def events(request: web.Request) -> web.StreamResponse:
    """``GET /api/continuations/{token}/events``: the chat, live (server-sent events)."""
    service = request.app.get(SERVICE)
    if service is None:
        return _error(ApiError(503, "unavailable", "channel switching is not set up"))
    return await stream.events(request, service)


def setup(app: web.Application, service: SwitchService) -> None:
    """Mount the page, its stream and assets (the JSON API routes come with
    ``omnivox.api.setup``); with the agent desktop on the same app (mount it first), the
    agent's chat routes too, and the chat tells the agent through the desktop's pop hub."""
    app[SERVICE] = service
    app.router.add_get("/continue/{token}", page)
    app.router.add_get("/api/continuations/{token}/events", events)
    app.router.add_static("/switch/static/", STATIC)

    async def end_streams(_: web.Application) -> None:
        service.room.feed.close()

    app.on_shutdown.append(end_streams)
    if HUB in app:
        service.room.desk = HubDesk(app[HUB])
        agent_http.setup(app)
