"""The reports API over real HTTP: supervisors and admins only, JSON and CSV, ranking, and
400s naming the field for bad parameters; the page and plotly.js from the plotly package."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from customers.store import CustomerStore
from omnivox.reports import http as reports_http
from tests.desktop_helpers import Desk, make_agent
from tests.reports_helpers import FROM, T0, TARGETS, TO, Clock, Seeded, seed_history

WEEK = f"from={FROM}&to={TO}"


@pytest.fixture
async def desk(sqlite_store: CustomerStore) -> AsyncIterator[Desk]:
    desk = Desk(sqlite_store)
    reports_http.setup(
        desk.app, sqlite_store, clock=Clock(T0 + timedelta(days=30)), targets=TARGETS.get
    )
    await desk.start()
    try:
        yield desk
    finally:
        await desk.close()


@pytest.fixture
async def seeded(sqlite_store: CustomerStore) -> Seeded:
    return await seed_history(sqlite_store)


async def _get(desk: Desk, path: str, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await desk.client.get(path, headers=headers, allow_redirects=False)


async def test_only_supervisors_and_admins_see_reports(desk: Desk, seeded: Seeded) -> None:
    await make_agent(desk.store, "ada", role="admin")
    response = await _get(desk, "/api/reports/services", None)
    assert response.status == 401
    page = await _get(desk, "/reports", None)
    assert page.status == 303 and page.headers["Location"] == "/"
    agent = await desk.token("ann")
    response = await _get(desk, "/api/reports/services", agent)
    assert response.status == 403
    assert "supervisor or admin" in (await response.json())["message"]
    assert (await _get(desk, "/reports", agent)).status == 403
    assert (await _get(desk, "/api/reports", agent)).status == 403
    for login in ("sue", "ada"):
        response = await _get(desk, f"/api/reports/services?{WEEK}", await desk.token(login))
        assert response.status == 200, await response.text()
        assert (await response.json())["summary"]["offered"] == 9
    listing = await (await _get(desk, "/api/reports", await desk.token("sue"))).json()
    assert [r["name"] for r in listing] == [
        "services",
        "agents",
        "ivr",
        "ivr-exits",
        "personalisation",
        "channels",
        "upsell",
    ]


async def test_json_period_and_service(desk: Desk, seeded: Seeded) -> None:
    token = await desk.token("sue")
    response = await _get(desk, f"/api/reports/services?{WEEK}&service=billing", token)
    body = await response.json()
    assert body["from"] == "2026-03-09T00:00:00+00:00"
    assert body["to"] == "2026-03-16T00:00:00+00:00"  # to= is a whole day
    assert body["service"] == "billing"
    assert [r["service"] for r in body["rows"]] == ["billing"]
    assert body["rows"][0]["service_level_pct"] == 40.0
    assert body["columns"][:4] == ["service", "offered", "answered", "abandoned"]
    # the day before the seeded week is empty; the default period is the 7 days before now
    empty = await (
        await _get(desk, "/api/reports/services?from=2026-03-01&to=2026-03-08", token)
    ).json()
    assert empty["rows"] == []
    default = await (await _get(desk, "/api/reports/services", token)).json()
    assert default["to"] == (T0 + timedelta(days=30)).isoformat() and default["rows"] == []


async def test_csv_export_and_ranking(desk: Desk, seeded: Seeded) -> None:
    token = await desk.token("sue")
    for path in (
        f"/api/reports/agents.csv?{WEEK}&sort=aht_s&order=asc",
        f"/api/reports/agents?{WEEK}&format=csv&sort=aht_s&order=asc",
    ):
        response = await _get(desk, path, token)
        assert response.status == 200
        assert response.content_type == "text/csv"
        assert "agents-20260309-20260316.csv" in response.headers["Content-Disposition"]
        table = list(csv.reader(io.StringIO(await response.text())))
        assert table[0] == [
            "agent",
            "name",
            "handled",
            "talk_s",
            "wrap_up_s",
            "handle_s",
            "aht_s",
            "occupancy_pct",
            "missed",
            "signed_in_s",
        ]
        assert [(row[1], row[6]) for row in table[1:]] == [("Boris", "70.0"), ("Ann", "120.0")]
    desc = await (await _get(desk, f"/api/reports/agents?{WEEK}&sort=occupancy_pct", token)).json()
    assert [r["name"] for r in desc["rows"]] == ["Ann", "Boris"]  # order defaults to desc
    upsell = await _get(desk, f"/api/reports/upsell.csv?{WEEK}", token)
    lines = (await upsell.text()).splitlines()
    assert lines[0] == "customer_id,name,contacts,out_of_hours,over_items,max_over_pct,signals"
    assert lines[1].endswith(",Ann Test,4,1,data_gb 14/10,40.0,out_of_hours;over_usage")
    assert len(lines) == 5


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("from=yesterday", "from", "ISO 8601"),
        ("to=2026-13-01", "to", "ISO 8601"),
        ("from=2026-03-10&to=2026-03-09", "from", "before to"),
        ("from=2024-01-01&to=2026-03-09", "from", "366 days"),
        ("format=xml", "format", "json, csv"),
        ("sort=nonsense", "sort", "no column 'nonsense'"),
        ("sort=offered&order=up", "order", "asc or desc"),
        ("order=asc", "order", "needs sort"),
        ("colour=red", "colour", "unknown parameter"),
        ("service=" + "x" * 101, "service", "1 to 100"),
    ],
)
async def test_bad_parameters_are_400_naming_the_field(
    desk: Desk, query: str, field: str, words: str
) -> None:
    await make_agent(desk.store, "sue", role="supervisor")
    response = await _get(desk, f"/api/reports/services?{query}", await desk.token("sue"))
    assert response.status == 400
    body = await response.json()
    assert body["error"] == "bad_parameter" and body["field"] == field
    assert words in body["message"]


async def test_unknown_report_format_clash_and_service_on_a_global_report(desk: Desk) -> None:
    await make_agent(desk.store, "sue", role="supervisor")
    token = await desk.token("sue")
    response = await _get(desk, "/api/reports/nope", token)
    assert response.status == 404 and "no report 'nope'" in (await response.json())["message"]
    clash = await _get(desk, "/api/reports/services.csv?format=json", token)
    assert clash.status == 400 and (await clash.json())["field"] == "format"
    scoped = await _get(desk, "/api/reports/channels?service=billing", token)
    assert scoped.status == 400 and (await scoped.json())["field"] == "service"


async def test_page_and_plotly_from_the_installed_package(desk: Desk) -> None:
    import plotly

    await make_agent(desk.store, "sue", role="supervisor")
    page = await _get(desk, "/reports", await desk.token("sue"))
    assert page.status == 200
    html = await page.text()
    assert '<script src="/reports/static/plotly.min.js"' in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    script = await _get(desk, "/reports/static/plotly.min.js", None)
    assert script.status == 200
    shipped = Path(plotly.__path__[0]) / "package_data" / "plotly.min.js"
    assert await script.read() == await asyncio.to_thread(shipped.read_bytes)
    assert (await _get(desk, "/reports/static/reports.js", None)).status == 200
    assert (await _get(desk, "/reports/static/secrets.txt", None)).status == 404
