"""``GET /admin/agents``, ``POST /admin/agents`` (create) and ``POST /admin/agents/{id}/skills``
(skills and levels): the same checks as ``POST /api/agents`` (``routing.service.agent_input``),
then the store, then the router (which serves the new skills at once, live state kept).

``POST`` (form or JSON) or ``PATCH`` (JSON) ``/admin/agents/{id}`` changes the agent's name,
team or role: checked like creation, audited with the admin as actor, 404 for an unknown agent,
409 if it would leave no admin; the router's view follows at once, and the agent's open
sessions see a new role or team on their next request (``Sessions.agent_changed``).

Refusals answer like the rest of the API, with the field named: 400 for a body that is not a
form or a JSON object (``body``) or a path id that is not one (``id``), 422 for a bad field.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from aiohttp import web

from customers.exceptions import Conflict, InvalidValue, NotFound
from customers.records import Actor
from customers.validation import AGENT_ROLES
from omnivox.admin.common import ADMIN, BadBody, admin_only, form_or_json, json_error, wants_json
from omnivox.admin.html import esc, notice, page, refused_page
from omnivox.auth.http import SESSIONS, require_principal
from routing.service import agent_input

guard = admin_only(refused_page)
_ITEM = re.compile(r"^([^=:\s]+)\s*[=:]\s*(-?\d+)$")


def parse_skills(text: str) -> dict[str, int]:
    """``"billing=7, lang_ru:5"`` (commas, spaces or lines between) -> ``{skill: level}``."""
    skills: dict[str, int] = {}
    for item in re.split(r"[,;\n]+", text):
        item = item.strip()
        if not item:
            continue
        match = _ITEM.match(item)
        if match is None:
            raise InvalidValue("skills", f"{item!r}: write skill=level, e.g. billing=7")
        skills[match[1]] = int(match[2])
    return skills


def skills_text(skills: dict[str, int]) -> str:
    return ", ".join(f"{name}={level}" for name, level in sorted(skills.items()))


def _from_form(data: dict[str, Any], *, json_body: bool) -> dict[str, Any]:
    """A form's text fields as the API's JSON shape (empty team: none; skills as text)."""
    if json_body:
        return data
    out = dict(data)
    if not (out.get("team") or "").strip():
        out["team"] = None
    out["skills"] = parse_skills(str(out.get("skills") or ""))
    return out


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        return await form_or_json(request)
    except BadBody as exc:
        raise InvalidValue("body", str(exc)) from None


async def _render(
    request: web.Request,
    banner: str = "",
    *,
    status: int = 200,
    draft: dict[str, Any] | None = None,
) -> web.StreamResponse:
    ctx = request.app[ADMIN]
    records = await ctx.store.list_agents()
    live = {str(a["id"]): a for a in await ctx.router.agents()}
    if wants_json(request):
        rows = [
            {
                "id": r.id,
                "login": r.login,
                "name": r.name,
                "role": r.role,
                "team": r.team,
                "endpoint": r.endpoint,
                "skills": dict(r.skills),
                "state": live.get(str(r.id), {}).get("state"),
            }
            for r in records
        ]
        return web.json_response({"agents": rows}, status=status)
    saved = request.query.get("saved")
    if saved and not banner:
        banner = notice("ok", f"Saved agent {saved}.")
    rows_html = "".join(
        f'<tr data-agent="{r.id}"><td>{r.id}</td><td>{esc(r.login)}</td>{_edit_cells(r)}'
        f"<td>{esc(r.endpoint)}</td>"
        f"<td>{esc(live.get(str(r.id), {}).get('state', 'unknown'))}</td>"
        f'<td><form method="post" action="/admin/agents/{r.id}/skills" class="inline">'
        f'<input name="skills" aria-label="skills of {esc(r.login)}" size="28" '
        f'value="{esc(skills_text(dict(r.skills)))}"><button type="submit">Save</button>'
        "</form></td></tr>"
        for r in records
    )
    d = draft or {}
    roles = _role_options(d.get("role"))

    def field(name: str, label: str, hint: str = "") -> str:
        value = d.get(name, "")
        shown = skills_text(value) if isinstance(value, dict) else value
        return (
            f'<label>{label} <input name="{name}" value="{esc(shown)}" '
            f'placeholder="{esc(hint)}"></label>'
        )

    body = (
        f'{banner}<table class="agents"><thead><tr><th>id</th><th>login</th><th>name</th>'
        "<th>role</th><th>team</th><th></th><th>endpoint</th><th>state</th>"
        "<th>skills (skill=level 1..10)"
        f"</th></tr></thead><tbody>{rows_html}</tbody></table>"
        '<h2>New agent</h2><form method="post" action="/admin/agents" class="new-agent">'
        f"{field('login', 'Login')}{field('name', 'Name')}"
        f"{field('endpoint', 'Endpoint', 'PJSIP/1001')}"
        f'<label>Role <select name="role">{roles}</select></label>{field("team", "Team")}'
        f"{field('skills', 'Skills', 'billing=7, lang_ru=5')}"
        '<button type="submit">Create</button></form>'
    )
    return page(request, "Agents", "agents", body, status=status)


def _role_options(chosen: object) -> str:
    return "".join(
        f"<option{' selected' if chosen == role else ''}>{role}</option>" for role in AGENT_ROLES
    )


def _edit_cells(r: Any) -> str:
    """Name, role and team as inputs of the row's own form (``form=`` ties them to it)."""
    form, who = f"edit-{r.id}", esc(r.login)
    return (
        f'<td><input form="{form}" name="name" aria-label="name of {who}" size="16" '
        f'value="{esc(r.name)}"></td>'
        f'<td><select form="{form}" name="role" aria-label="role of {who}">'
        f"{_role_options(r.role)}</select></td>"
        f'<td><input form="{form}" name="team" aria-label="team of {who}" size="10" '
        f'value="{esc(r.team or "")}"></td>'
        f'<td><form id="{form}" method="post" action="/admin/agents/{r.id}" class="inline">'
        f'<button type="submit" aria-label="save name, role and team of {who}">Update</button>'
        "</form></td>"
    )


def invalid_status(exc: InvalidValue) -> int:
    """400 for an unreadable body or a bad path id, 422 for a bad field (as the API does)."""
    return 400 if exc.field in ("body", "id") else 422


async def _refused(
    request: web.Request, status: int, exc: Exception, field: str, draft: Any
) -> web.StreamResponse:
    if wants_json(request):
        return json_error(status, str(exc), field=field)
    return await _render(
        request, notice("error", str(exc), field=field), status=status, draft=draft
    )


@guard
async def agents_page(request: web.Request) -> web.StreamResponse:
    return await _render(request)


@guard
async def create(request: web.Request) -> web.StreamResponse:
    ctx = request.app[ADMIN]
    data: dict[str, Any] = {}
    try:
        data = await _body(request)
        fields = _from_form(data, json_body=request.content_type == "application/json")
        view = await agent_input.create_agent(ctx.store, ctx.router, fields)
    except InvalidValue as exc:
        return await _refused(request, invalid_status(exc), exc, exc.field, data)
    except Conflict as exc:
        return await _refused(request, 409, exc, "login", data)
    if wants_json(request):
        return web.json_response(view, status=201)
    raise web.HTTPSeeOther(f"/admin/agents?saved={quote(str(view.get('login') or ''))}")


@guard
async def set_skills(request: web.Request) -> web.StreamResponse:
    ctx = request.app[ADMIN]
    raw = request.match_info["id"]
    if not raw.isdigit():
        exc = InvalidValue("id", f"expected an agent id, got {raw!r}")
        return await _refused(request, 400, exc, "id", None)
    try:
        data = await _body(request)
        skills: object = data.get("skills", {})
        if isinstance(skills, str):
            skills = parse_skills(skills)
        view = await agent_input.set_skills(ctx.store, ctx.router, int(raw), skills)
    except InvalidValue as exc:
        return await _refused(request, invalid_status(exc), exc, exc.field, None)
    except NotFound as exc:
        return await _refused(request, 404, exc, "id", None)
    if wants_json(request):
        return web.json_response(view)
    raise web.HTTPSeeOther(f"/admin/agents?saved={quote(str(view.get('login') or raw))}")


def _changes(data: dict[str, Any], *, json_body: bool) -> dict[str, Any]:
    """A JSON body as it is (the store names unknown fields); a form's name, role and team
    (an empty team: none)."""
    if json_body:
        return data
    out = {k: data[k] for k in ("name", "role", "team") if k in data}
    if "team" in out and not out["team"].strip():
        out["team"] = None
    return out


@guard
async def edit(request: web.Request) -> web.StreamResponse:
    ctx = request.app[ADMIN]
    raw = request.match_info["id"]
    if not raw.isdigit():
        exc = InvalidValue("id", f"expected an agent id, got {raw!r}")
        return await _refused(request, 400, exc, "id", None)
    actor = Actor("agent", str(require_principal(request).id))
    try:
        data = await _body(request)
        changes = _changes(data, json_body=request.content_type == "application/json")
        record = await ctx.store.update_agent(int(raw), changes, actor=actor)
    except InvalidValue as exc:
        return await _refused(request, invalid_status(exc), exc, exc.field, None)
    except NotFound as exc:
        return await _refused(request, 404, exc, "id", None)
    except Conflict as exc:
        return await _refused(request, 409, exc, "role", None)
    view = await ctx.router.add_agent(record)
    sessions = request.app.get(SESSIONS)
    if sessions is not None:  # open sessions see a new role or team on their next request
        await sessions.agent_changed(record.id)
    if wants_json(request):
        return web.json_response(view)
    raise web.HTTPSeeOther(f"/admin/agents?saved={quote(record.login)}")


def setup(app: web.Application) -> None:
    app.router.add_get("/admin/agents", agents_page)
    app.router.add_post("/admin/agents/{id}", edit)
    app.router.add_patch("/admin/agents/{id}", edit)
    app.router.add_post("/admin/agents", create)
    app.router.add_post("/admin/agents/{id}/skills", set_skills)
