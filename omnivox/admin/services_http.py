"""``GET /admin/services`` and ``POST /admin/services``: the routing file (services, their
skills and relaxation rules) edited as YAML text.

A save is checked by ``parse_config`` (422 with the config path and line:column), then served
by the router (409 while a service it drops still holds calls), then written atomically; an
edit made on an older text of the file is refused (409) instead of overwriting a newer one.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from omnivox.admin.common import (
    ADMIN,
    AdminContext,
    BadBody,
    admin_only,
    form_or_json,
    json_error,
    wants_json,
)
from omnivox.admin.html import esc, notice, page, refused_page
from omnivox.admin.routing_file import RoutingTextError, check_text, text_version, write_atomic
from routing.core.model import RelaxStep, Service

log = logging.getLogger("omnivox.admin")
guard = admin_only(refused_page)


def _levels(levels: Any) -> str:
    return ", ".join(f"{skill} ≥ {level}" for skill, level in sorted(dict(levels).items())) or "—"


def describe_step(step: RelaxStep) -> str:
    """One relaxation step in words, e.g. ``after 30 s: billing ≥ 3``."""
    triggers = [f"after {step.after_s:g} s"] if step.after_s is not None else []
    triggers += ["no eligible agent ready"] if step.no_eligible_ready else []
    triggers += ["service level at risk"] if step.sl_at_risk else []
    if step.queue_length_at_least is not None:
        triggers.append(f"{step.queue_length_at_least}+ waiting")
    effects = [f"overflow to {step.overflow_to}"] if step.overflow_to else []
    effects += [f"drop {', '.join(sorted(step.drop))}"] if step.drop else []
    effects += [f"set {_levels(step.set)}"] if step.set else []
    effects += [f"add {_levels(step.add)}"] if step.add else []
    joiner = " or " if step.match == "any" else " and "
    return f"{joiner.join(triggers)}: {'; '.join(effects)}"


def _service_row(service: Service) -> str:
    steps = "".join(f"<li>{esc(describe_step(s))}</li>" for s in service.relax)
    return (
        f'<tr data-service="{esc(service.name)}"><td>{esc(service.name)}</td>'
        f"<td>{esc(_levels(service.requires))}</td><td>{service.priority}</td>"
        f"<td>{service.sl_percent:g}% in {service.sl_target_s:g} s</td>"
        f"<td>{service.wrap_up_s:g} s</td><td><ul>{steps}</ul></td></tr>"
    )


async def _read(ctx: AdminContext) -> str:
    try:
        return await asyncio.to_thread(ctx.routing_path.read_text, encoding="utf-8")
    except FileNotFoundError:
        return ""


async def _render(
    request: web.Request, banner: str = "", *, status: int = 200, draft: str | None = None
) -> web.StreamResponse:
    ctx = request.app[ADMIN]
    text = await _read(ctx)
    services = ctx.current_services()
    if wants_json(request):
        body = {
            "file": str(ctx.routing_path),
            "version": text_version(text),
            "text": text,
            "services": sorted(services),
        }
        return web.json_response(body, status=status)
    if request.query.get("saved") and not banner:
        banner = notice("ok", "Saved: the router serves the new services.")
    rows = "".join(_service_row(s) for _, s in sorted(services.items()))
    body = (
        f'{banner}<h2>Served now</h2><table class="services"><thead><tr><th>service</th>'
        "<th>requires</th><th>priority</th><th>service level</th><th>wrap-up</th>"
        f"<th>relaxation</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<h2>Routing file <small>{esc(ctx.routing_path)}</small></h2>"
        '<form method="post" action="/admin/services" class="routing-file">'
        f'<input type="hidden" name="version" value="{text_version(text)}">'
        '<textarea name="text" id="routing-text" rows="30" cols="100" spellcheck="false">'
        f"{esc(text if draft is None else draft)}</textarea>"
        '<p><button type="submit">Check and save</button></p></form>'
    )
    return page(request, "Services", "services", body, status=status)


async def _refused(
    request: web.Request, status: int, message: str, draft: str | None, **details: Any
) -> web.StreamResponse:
    if wants_json(request):
        return json_error(status, message, **details)
    where = details.get("path")
    banner = notice("error", message, field=where)
    return await _render(request, banner, status=status, draft=draft)


@guard
async def services_page(request: web.Request) -> web.StreamResponse:
    return await _render(request)


@guard
async def save(request: web.Request) -> web.StreamResponse:
    ctx = request.app[ADMIN]
    try:
        data = await form_or_json(request)
    except BadBody as exc:
        return await _refused(request, 400, str(exc), None)
    text, base = data.get("text"), data.get("version")
    if not isinstance(text, str):
        return await _refused(request, 422, "text: the routing file's YAML is required", None)
    text = text.replace("\r\n", "\n")  # browsers send textarea lines with CRLF
    try:
        config = check_text(text)
    except RoutingTextError as exc:
        details = {"path": exc.path, "line": exc.line, "column": exc.column}
        return await _refused(request, 422, str(exc), text, **details)
    async with ctx.services_lock:
        if base is not None and base != text_version(await _read(ctx)):
            message = "the routing file changed since this edit began; reload the page"
            return await _refused(request, 409, message, text)
        before = ctx.current_services()
        try:
            await ctx.router.update_services(config.services)
        except ValueError as exc:  # TransitionError: a dropped service still holds calls
            return await _refused(request, 409, str(exc), text)
        try:
            await asyncio.to_thread(write_atomic, ctx.routing_path, text)
        except OSError as exc:
            try:
                await ctx.router.update_services(before)
            except ValueError as undo:
                log.error("routing: the edit stays served, unsaved (%s)", undo)
            log.error("routing file %s not written: %s", ctx.routing_path, exc)
            message = f"cannot write {ctx.routing_path}: {exc.strerror or exc}"
            return await _refused(request, 500, message, text)
    log.info("routing file %s saved: %d services", ctx.routing_path, len(config.services))
    if wants_json(request):
        return web.json_response(
            {"version": text_version(text), "services": sorted(config.services)}
        )
    raise web.HTTPSeeOther("/admin/services?saved=1")


def setup(app: web.Application) -> None:
    app.router.add_get("/admin/services", services_page)
    app.router.add_post("/admin/services", save)
