"""The desktop's JSON routes about contacts: the current pop, more timeline, the unknown caller
(create or link a customer), and the wrap-up saved as the interaction on the timeline.

A contact is visible to the agent it was popped to, and to that agent's supervisor or an admin.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from aiohttp import web

from customers.exceptions import Conflict, CustomerStoreError, InvalidValue, NotFound
from customers.records import InteractionRecord
from omnivox.auth.http import error, require_principal
from omnivox.auth.principal import Principal
from omnivox.desktop import popview
from omnivox.desktop.access import Forbidden, check_watch, parse_agent_id
from omnivox.desktop.keys import AGENTS, HUB, STORE
from omnivox.desktop.pop import build_pop

DISPOSITION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,63}$")
WRAPUP_OUTCOMES = ("resolved", "unresolved")
IDENTITY_KINDS = ("phone", "email")


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise error(400, "bad_request", "body is not JSON") from None
    if not isinstance(data, dict):
        raise error(400, "bad_request", "body must be a JSON object")
    return data


async def _watchable(request: web.Request, agent_id: int) -> Principal:
    principal = require_principal(request)
    try:
        await check_watch(request.app[STORE], principal, agent_id)
    except Forbidden as exc:
        raise error(403, "forbidden", str(exc)) from None
    return principal


async def _contact(request: web.Request, call_id: str) -> tuple[Principal, dict[str, Any]]:
    """The contact record of ``call_id`` if the principal may see it (404 / 403 otherwise)."""
    require_principal(request)  # 401 before anything is looked up
    contact = await request.app[HUB].store.contact(call_id)
    if contact is None:
        raise error(404, "not_found", f"no contact {call_id!r} was popped")
    return await _watchable(request, int(contact["agent_id"])), contact


async def current(request: web.Request) -> web.Response:
    """``GET /desktop/current[?agent=id]``: the agent's latest pop (after a page reload)."""
    principal = require_principal(request)
    try:
        agent_id = parse_agent_id(request.query.get("agent", principal.id))
    except ValueError as exc:
        raise error(422, "invalid", str(exc), "agent") from None
    await _watchable(request, agent_id)
    pop = await request.app[HUB].store.last(agent_id)
    return web.json_response({"pop": pop}, headers={"Cache-Control": "no-store"})


async def timeline(request: web.Request) -> web.Response:
    """``GET /desktop/contacts/{call_id}/timeline?before=cursor``: the next timeline page."""
    _, contact = await _contact(request, request.match_info["call_id"])
    if not contact.get("customer_id"):
        raise error(409, "unknown_caller", "this contact has no customer yet")
    try:
        page = await request.app[STORE].timeline(
            int(contact["customer_id"]), limit=50, before=request.query.get("before")
        )
    except InvalidValue as exc:
        raise error(422, "invalid", str(exc), "before") from None
    names = await request.app[AGENTS].names({i.agent_id for i in page.items if i.agent_id})
    items = [popview.timeline_item(i, names) for i in page.items]
    return web.json_response({"items": items, "next_cursor": page.next_cursor})


async def identify(request: web.Request) -> web.Response:
    """``POST /desktop/contacts/{call_id}/customer``: for an unknown caller,
    ``{"action": "create", "name": ...}`` or ``{"action": "link", "customer_id": id}``.
    The caller's number becomes an identity of that customer; the answer is the new pop."""
    call_id = request.match_info["call_id"]
    principal, contact = await _contact(request, call_id)
    data = await _json(request)
    store, hub = request.app[STORE], request.app[HUB]
    last = await hub.store.last(int(contact["agent_id"]))
    if last is None or last.get("contact", {}).get("call_id") != call_id:
        raise error(409, "stale", "this is no longer the agent's current contact")
    caller = last["contact"].get("caller")
    try:
        if data.get("action") == "create":
            name = data.get("name")
            if not isinstance(name, str) or not name.strip():
                raise error(422, "invalid", "name is required (text)", "name")
            identities = [("phone", caller)] if caller else []
            customer_id = (await store.create_customer(name.strip(), identities=identities)).id
        elif data.get("action") == "link":
            customer_id = data.get("customer_id")
            if not isinstance(customer_id, int) or isinstance(customer_id, bool):
                raise error(422, "invalid", "customer_id is required (integer)", "customer_id")
            if caller:
                await store.add_identity(customer_id, "phone", caller)
        else:
            raise error(422, "invalid", "action must be create or link", "action")
    except InvalidValue as exc:
        raise error(422, "invalid", str(exc), exc.field) from None
    except NotFound as exc:
        raise error(404, "not_found", str(exc), "customer_id") from None
    except Conflict as exc:
        raise error(409, "conflict", str(exc), "customer_id") from None
    await hub.store.put_contact(call_id, contact | {"customer_id": customer_id})
    pop = await build_pop(
        store,
        contact=last["contact"] | {"customer_id": customer_id, "match": "known"},
        trace=None,
        agent_id=int(contact["agent_id"]),
        agents=request.app[AGENTS],
    )
    pop["routing"] = last.get("routing", pop["routing"])
    pushed = await hub.push(int(contact["agent_id"]), pop | {"updated_by": principal.login})
    return web.json_response({"pop": pushed})


async def search(request: web.Request) -> web.Response:
    """``GET /desktop/customers?phone=...`` or ``?email=...``: a customer to link a caller to."""
    require_principal(request)
    kind = next((k for k in IDENTITY_KINDS if request.query.get(k)), None)
    if kind is None:
        raise error(422, "invalid", "give phone or email", "phone")
    try:
        found = await request.app[STORE].find_by_identity(kind, request.query[kind])
    except InvalidValue as exc:
        raise error(422, "invalid", str(exc), kind) from None
    if found is None:
        return web.json_response({"customers": []})
    card = {"id": found.id, "name": found.display_name, "segment": found.segment}
    return web.json_response({"customers": [card]})


def _wrapup_fields(data: dict[str, Any]) -> tuple[str, str, str | None, str | None]:
    disposition = data.get("disposition")
    if not isinstance(disposition, str) or not DISPOSITION.match(disposition.strip()):
        raise error(
            422, "invalid", "disposition: a wrap-up code (letters, digits, _ . -)", "disposition"
        )
    outcome = data.get("outcome", "resolved")
    if outcome not in WRAPUP_OUTCOMES:
        raise error(422, "invalid", f"outcome: one of {', '.join(WRAPUP_OUTCOMES)}", "outcome")
    notes, topic = data.get("notes"), data.get("topic")
    for name, value, limit in (("notes", notes, 20_000), ("topic", topic, 200)):
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise error(422, "invalid", f"{name}: text of at most {limit} characters", name)
    notes, topic = (notes or "").strip() or None, (topic or "").strip() or None
    return disposition.strip(), outcome, notes, topic


async def wrapup(request: web.Request) -> web.Response:
    """``POST /desktop/wrapup`` ``{call_id, disposition, outcome, notes, topic}``: saved once
    per contact as the interaction on the customer's timeline (a resubmission returns it).
    A chat already has its interaction (opened with it): the wrap-up completes that one
    instead of adding a second; a call's interaction is the wrap-up (the IVR writes none)."""
    data = await _json(request)
    call_id = data.get("call_id")
    if not isinstance(call_id, str) or not call_id:
        raise error(422, "invalid", "call_id is required (text)", "call_id")
    disposition, outcome, notes, topic = _wrapup_fields(data)
    principal, contact = await _contact(request, call_id)
    if not contact.get("customer_id"):
        raise error(409, "unknown_caller", "create or link the customer first", "customer_id")
    store = request.app[STORE]
    chat = await store.resume_token_of_chat(call_id) if contact.get("kind") == "chat" else None
    if chat is not None and chat.interaction_id is not None:  # the chat's own timeline entry
        try:
            record, saved = await store.wrap_up_chat(
                chat.interaction_id,
                disposition=disposition,
                outcome=outcome,
                notes=notes,
                topic=topic,
                agent_id=int(contact["agent_id"]),
                by=principal.login,
            )
        except CustomerStoreError as exc:
            raise error(409, "conflict", str(exc)) from None
        return await _wrapped(request, record, int(contact["agent_id"]), saved)
    channel = "chat" if contact.get("kind") == "chat" else "voice"
    key = f"desktop-wrapup:{call_id}"
    submission = uuid.uuid4().hex
    try:
        record = await store.record_interaction(
            int(contact["customer_id"]),
            channel,
            "in",
            topic=topic,
            summary=notes,
            outcome=outcome,
            agent_id=int(contact["agent_id"]),
            journey_id=contact.get("journey_id"),
            data={
                "disposition": disposition,
                "call_id": call_id,
                "by": principal.login,
                "submission": submission,
            },
            idempotency_key=key,
        )
    except InvalidValue as exc:
        raise error(422, "invalid", str(exc), exc.field) from None
    except CustomerStoreError as exc:
        raise error(409, "conflict", str(exc)) from None
    saved = record.data.get("submission") == submission
    return await _wrapped(request, record, int(contact["agent_id"]), saved)


async def _wrapped(
    request: web.Request, record: InteractionRecord, agent_id: int, saved: bool
) -> web.Response:
    names = await request.app[AGENTS].names({agent_id})
    item = popview.timeline_item(record, names) | {"this_call": True}
    body = {"interaction": item, "duplicate": not saved}
    return web.json_response(body, status=201 if saved else 200)


def setup(app: web.Application) -> None:
    app.router.add_get("/desktop/current", current)
    app.router.add_get("/desktop/customers", search)
    app.router.add_get("/desktop/contacts/{call_id}/timeline", timeline)
    app.router.add_post("/desktop/contacts/{call_id}/customer", identify)
    app.router.add_post("/desktop/wrapup", wrapup)
