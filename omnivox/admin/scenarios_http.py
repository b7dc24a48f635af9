"""``GET /admin/scenarios`` (every file, its problems, its flow diagram), ``GET
/admin/scenarios/{name}.svg`` and ``POST /admin/scenarios/reload`` (the file watcher's reload:
a refused file keeps its last good version serving)."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from ivr.scenario import Problem
from omnivox.admin.common import ADMIN, AdminContext, admin_only, json_error, wants_json
from omnivox.admin.flow import flow_dot
from omnivox.admin.graphviz import RenderError
from omnivox.admin.html import esc, notice, page, refused_page
from omnivox.admin.scenario_files import FileStatus, file_statuses
from omnivox.scenarios import reload_scenarios

log = logging.getLogger("omnivox.admin")
guard = admin_only(refused_page)


async def _statuses(ctx: AdminContext) -> tuple[list[FileStatus], list[Problem]]:
    served = {name: ctx.scenarios[name] for name in ctx.scenarios.names()}
    return await asyncio.to_thread(file_statuses, ctx.scenarios.directory, served)


async def _diagram(ctx: AdminContext, status: FileStatus) -> str:
    if status.scenario is None:
        return '<p class="no-diagram">No diagram: the file does not parse.</p>'
    try:
        svg = await ctx.graphviz.svg(flow_dot(status.scenario))
    except RenderError as exc:
        return f'<p class="no-diagram" role="alert">No diagram: {esc(exc)}</p>'
    partial = "" if status.valid else '<p class="hint">Drawn from the refused file.</p>'
    return f'{partial}<div class="flow" id="flow-{esc(status.name)}">{svg}</div>'


async def _section(ctx: AdminContext, status: FileStatus) -> str:
    state = "valid" if status.valid else "invalid"
    problems = "".join(f'<li><code class="problem">{esc(p)}</code></li>' for p in status.problems)
    listed = f'<ul class="problems">{problems}</ul>' if problems else ""
    description = status.scenario.description if status.scenario is not None else ""
    return (
        f'<section class="scenario {state}" id="scenario-{esc(status.name)}" '
        f'data-name="{esc(status.name)}" data-valid="{str(status.valid).lower()}">'
        f"<h2>{esc(status.name)} <small>{esc(status.path)}</small></h2>"
        f"<p>{esc(description)}</p>"
        f'<p class="status {state}">{esc(status.summary)}</p>{listed}'
        f"<details open><summary>Flow diagram</summary>{await _diagram(ctx, status)}</details>"
        "</section>"
    )


async def _page(request: web.Request, banner: str = "", *, status: int = 200) -> web.StreamResponse:
    ctx = request.app[ADMIN]
    files, general = await _statuses(ctx)
    if wants_json(request):
        body = {
            "directory": str(ctx.scenarios.directory),
            "problems": [str(p) for p in general],
            "scenarios": [f.to_dict() for f in files],
        }
        return web.json_response(body, status=status)
    sections = await asyncio.gather(*(_section(ctx, f) for f in files))
    top = "".join(notice("error", str(p)) for p in general)
    reload = (
        '<form method="post" action="/admin/scenarios/reload" class="reload">'
        '<button type="submit" id="reload">Reload scenarios</button>'
        f" <span>from {esc(ctx.scenarios.directory)}</span></form>"
    )
    return page(
        request, "Scenarios", "scenarios", banner + top + reload + "".join(sections), status=status
    )


@guard
async def list_scenarios(request: web.Request) -> web.StreamResponse:
    return await _page(request)


@guard
async def reload(request: web.Request) -> web.StreamResponse:
    """Reload changed files as the watcher does; 422 while any file on disk is refused."""
    ctx = request.app[ADMIN]
    try:
        changed, _ = await reload_scenarios(ctx.scenarios, ctx.renderer, log)
    except OSError as exc:
        message = f"scenario directory {ctx.scenarios.directory}: {exc.strerror or exc}"
        if wants_json(request):
            return json_error(422, message)
        return await _page(request, notice("error", message), status=422)
    files, _ = await _statuses(ctx)
    refused = [f for f in files if not f.valid]
    status = 422 if refused else 200
    if wants_json(request):
        return web.json_response(
            {
                "changed": changed,
                "refused": [f.to_dict() for f in refused],
                "serving": {name: ctx.scenarios[name].version for name in ctx.scenarios.names()},
            },
            status=status,
        )
    done = f"Reloaded: {', '.join(changed)}." if changed else "Reloaded: no file changed."
    banner = notice("ok", done)
    if refused:
        banner += notice(
            "error",
            "Refused (the last good version keeps serving): " + ", ".join(f.name for f in refused),
            items=[str(p) for f in refused for p in f.problems],
        )
    return await _page(request, banner, status=status)


@guard
async def scenario_svg(request: web.Request) -> web.StreamResponse:
    ctx = request.app[ADMIN]
    name = request.match_info["name"]
    files, _ = await _statuses(ctx)
    status = next((f for f in files if f.name == name), None)
    if status is None or status.scenario is None:
        return json_error(404, f"no drawable scenario {name!r}")
    try:
        svg = await ctx.graphviz.svg(flow_dot(status.scenario))
    except RenderError as exc:
        return json_error(503, str(exc))
    return web.Response(text=svg, content_type="image/svg+xml")


def setup(app: web.Application) -> None:
    app.router.add_get("/admin/scenarios", list_scenarios)
    app.router.add_post("/admin/scenarios/reload", reload)
    app.router.add_get("/admin/scenarios/{name}.svg", scenario_svg)
