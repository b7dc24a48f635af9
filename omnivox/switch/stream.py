"""``GET /api/continuations/{token}/events``: the customer's chat, live, as server-sent events.

Authenticated like the chat's other calls (the session cookie set by the open, or
``?session=``). Events: ``message`` (one stored message; its ``id`` is the message's ``seq``, so
the browser's automatic reconnect sends ``Last-Event-ID`` and gets only what it missed),
``queue`` (the place in the router's queue, when it changes: ``waiting`` with ``position``
and ``waiting``, ``offered``/``active`` once an agent has it, ``none``), and ``ended``.
A stream reads the store when woken by this instance or every ``POLL_S`` (what another
instance wrote), and ends after ``STREAM_S`` (the browser reconnects).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from omnivox.switch.exceptions import SwitchError
from omnivox.switch.service import SwitchService

POLL_S = 2.0
HEARTBEAT_S = 15.0
STREAM_S = 300.0
RETRY_MS = 1000


def _event(kind: str, data: Any, event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data)}\n\n".encode()


def _public(item: dict[str, Any]) -> dict[str, Any]:
    """What the customer is shown: staff ids stay on the staff side."""
    return {k: v for k, v in item.items() if k != "agent_id"}


def _after(request: web.Request) -> int:
    raw = request.headers.get("Last-Event-ID") or request.query.get("after") or "0"
    return int(raw) if raw.isdigit() else 0


async def events(request: web.Request, service: SwitchService) -> web.StreamResponse:
    """Stream one chat to its customer (a 4xx JSON answer before streaming if not theirs)."""
    session = request.query.get("session") or request.cookies.get("omnivox_chat")
    try:
        record = await service.chat_of(request.match_info["token"], session)
    except SwitchError as exc:
        return web.json_response(
            {"error": exc.code, "message": str(exc), "field": "session"}, status=exc.status
        )
    room, chat_id = service.room, str(record.chat_id)
    after, last_place, last_beat = _after(request), None, 0.0
    loop = asyncio.get_running_loop()
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    await response.write(f"retry: {RETRY_MS}\n\n".encode())
    deadline = loop.time() + STREAM_S
    ticket = room.feed.ticket(chat_id)  # before each read: a write meanwhile wakes the wait
    try:
        read_messages = True
        while loop.time() < deadline and not room.feed.closed:
            try:
                if read_messages:
                    messages, ended = await room.messages(record, after)
                    for message in messages:
                        after = int(message["seq"])
                        await response.write(_event("message", _public(message), after))
                    if ended:
                        await response.write(_event("ended", {"chat_id": chat_id}))
                        break
                place = await room.place(chat_id)
                if place != last_place:
                    last_place = place
                    await response.write(_event("queue", _public(place)))
                woken = await room.feed.wait(chat_id, ticket, POLL_S)
            finally:
                room.feed.forget(chat_id, ticket)
            # no await between the wake and the next ticket, so no write slips between them;
            # a routing change alone moves only the place, a message here or the poll reads
            read_messages = not woken or ticket.messages
            ticket = room.feed.ticket(chat_id)
            if not woken and loop.time() - last_beat > HEARTBEAT_S:
                last_beat = loop.time()
                await response.write(b": keep-alive\n\n")
    except ConnectionResetError:
        pass  # the customer closed the page
    except SwitchError:  # the chat was erased meanwhile
        await response.write(_event("ended", {"chat_id": chat_id}))
    finally:
        room.feed.forget(chat_id, ticket)
    return response
