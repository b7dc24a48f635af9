"""HTML of the admin pages: one layout and small escaping helpers (no template engine, no
script; every value from a file, the store or the request goes through :func:`esc`)."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from aiohttp import web

from omnivox.auth.http import PRINCIPAL
from omnivox.auth.principal import Principal

NAV = (("scenarios", "Scenarios"), ("agents", "Agents"), ("services", "Services"))


def esc(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def notice(kind: str, message: str, *, field: str | None = None, items: Iterable[str] = ()) -> str:
    """A banner: ``kind`` is ``ok`` or ``error``; ``items`` are listed under the message."""
    role = "status" if kind == "ok" else "alert"
    data = f' data-field="{esc(field)}"' if field else ""
    listed = "".join(f"<li>{esc(i)}</li>" for i in items)
    more = f"<ul>{listed}</ul>" if listed else ""
    return f'<div class="notice {kind}" role="{role}"{data}><p>{esc(message)}</p>{more}</div>'


def page(
    request: web.Request, title: str, section: str, body: str, *, status: int = 200
) -> web.Response:
    """A full admin page around ``body`` (already HTML)."""
    principal = request.get(PRINCIPAL)
    who = esc(principal.login) if isinstance(principal, Principal) else ""
    links = "".join(
        f'<a href="/admin/{key}"{" aria-current=page" if key == section else ""}>{esc(text)}</a>'
        for key, text in NAV
    )
    signed = (
        f'<span class="who">{who}</span><form method="post" action="/auth/logout">'
        '<button type="submit">Sign out</button></form>'
        if who
        else '<a href="/">Sign in</a>'
    )
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · Omnivox admin</title>
<link rel="stylesheet" href="/admin/static/admin.css">
</head><body>
<header><strong>Omnivox admin</strong><nav>{links}<a href="/desktop">Desktop</a></nav>
<div class="session">{signed}</div></header>
<main id="{esc(section)}-page"><h1>{esc(title)}</h1>
{body}
</main></body></html>
"""
    return web.Response(text=html, content_type="text/html", status=status)


def refused_page(request: web.Request, status: int, reason: str) -> web.Response:
    """The 401/403 page of a browser that may not use the admin pages."""
    body = notice("error", reason) + '<p><a href="/">Sign in as an admin</a></p>'
    return page(request, "Not allowed", "", body, status=status)
