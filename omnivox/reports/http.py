"""Reports over HTTP, for supervisors and admins (the desktop's session sign-in):

* ``GET /api/reports``: the report names and titles;
* ``GET /api/reports/{name}?from=&to=&service=&sort=&order=`` JSON, ``&format=csv`` or
  ``/api/reports/{name}.csv`` CSV; bad parameters are 400 ``{error, message, field}``;
* ``GET /reports``: the reports page, charts drawn by plotly.js, served from the installed
  ``plotly`` package (``/reports/static/plotly.min.js``).

The auth middleware comes from ``omnivox.auth.http.setup`` (mounted by the desktop).
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from aiohttp import web

from customers.store import CustomerStore
from ivr.scenario.hours import Calendar
from omnivox.auth.http import PRINCIPAL, error, require_principal
from omnivox.auth.principal import Principal
from omnivox.reports.catalog import REPORTS, Query, Sources, Targets
from omnivox.reports.params import BadParameter, parse
from omnivox.reports.upsell import DEFAULT_HOURS

SOURCES = web.AppKey("reports_sources", Sources)
ROLES = ("supervisor", "admin")
STATIC = Path(__file__).parent / "static"
# plotly.js sets inline styles on the charts it draws: styles need 'unsafe-inline', scripts not
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if request.path.startswith(("/reports", "/api/reports")):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def _plotly_js() -> Path:
    """plotly.js as the installed ``plotly`` package ships it."""
    found = importlib.resources.files("plotly") / "package_data" / "plotly.min.js"
    return Path(str(found))


def _supervisor(request: web.Request) -> Principal:
    principal = require_principal(request)
    if principal.role not in ROLES:
        raise error(403, "forbidden", f"reports need the role {' or '.join(ROLES)}")
    return principal


async def list_reports(request: web.Request) -> web.Response:
    _supervisor(request)
    return web.json_response(
        [
            {"name": name, "title": entry.title, "by_service": entry.by_service}
            for name, entry in REPORTS.items()
        ]
    )


async def get_report(request: web.Request) -> web.Response:
    _supervisor(request)
    name, fmt = request.match_info["name"], None
    if name.endswith(".csv"):
        name, fmt = name[:-4], "csv"
    entry = REPORTS.get(name)
    if entry is None:
        raise error(404, "not_found", f"no report {name!r}; one of {', '.join(REPORTS)}")
    sources = request.app[SOURCES]
    try:
        params = parse(request.query, sources.clock(), fmt=fmt)
        if params.service is not None and not entry.by_service:
            raise BadParameter("service", f"the {name} report is not per service")
        report = await entry.load(sources, Query(params.start, params.end, params.service))
        if params.sort is not None:
            try:
                report = report.sorted_by(params.sort, params.descending)
            except KeyError:
                raise BadParameter(
                    "sort", f"no column {params.sort!r}; one of {', '.join(report.columns)}"
                ) from None
    except BadParameter as exc:
        raise error(400, "bad_parameter", str(exc), exc.field) from None
    if params.format == "csv":
        stamp = f"{params.start:%Y%m%d}-{params.end:%Y%m%d}"
        return web.Response(
            text=report.to_csv(),
            content_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"'},
        )
    body = report.to_json() | {
        "from": params.start.isoformat(),
        "to": params.end.isoformat(),
        "service": params.service,
    }
    return web.json_response(body)


async def page(request: web.Request) -> web.StreamResponse:
    """The reports page; a visitor who is not signed in goes to the sign-in page."""
    principal = request.get(PRINCIPAL)
    if not isinstance(principal, Principal) or principal.kind != "agent":
        raise web.HTTPSeeOther("/")
    _supervisor(request)
    return web.FileResponse(STATIC / "reports.html", headers={"Cache-Control": "no-store"})


def setup(
    app: web.Application,
    store: CustomerStore,
    *,
    clock: Callable[[], datetime],
    targets: Targets | None = None,
    hours: Calendar = DEFAULT_HOURS,
) -> None:
    """Mount the reports API and page. ``targets(service)`` is the service-level target in
    seconds from the routing config (None: the default 20 s); ``hours`` is the business
    calendar of the upsell report."""
    app[SOURCES] = Sources(
        store=store,
        clock=clock,
        targets=targets or (lambda _service: None),
        hours=hours,
    )
    app.router.add_get("/api/reports", list_reports)
    app.router.add_get("/api/reports/{name}", get_report)
    app.router.add_get("/reports", page)
    files = {name: STATIC / name for name in ("reports.js", "reports.css")}
    files["plotly.min.js"] = _plotly_js()

    async def static(request: web.Request) -> web.FileResponse:
        path = files.get(request.match_info["file"])
        if path is None:
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Cache-Control": "max-age=3600"})

    app.router.add_get("/reports/static/{file}", static)
    app.middlewares.append(_security_headers)
