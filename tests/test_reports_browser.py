"""The reports page in real headless Chromium: a supervisor signs in, /reports fetches every
report of the seeded week and plotly.js draws the charts with the seeded numbers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from customers.store import CustomerStore
from omnivox.reports import http as reports_http
from tests.desktop_helpers import Desk
from tests.reports_helpers import FROM, T0, TARGETS, TO, Clock, seed_history

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="no /usr/bin/chromium"),
]


async def _trace(page: Any, chart: str, name: str) -> dict[str, Any]:
    """The x and y (or labels and values) plotly drew for one trace of ``chart``."""
    return dict(
        await page.evaluate(
            """([chart, name]) => {
                const t = document.getElementById(chart).data.find((d) => (d.name || "") === name);
                return t ? {x: t.x || t.labels, y: t.y || t.values} : null;
            }""",
            [chart, name],
        )
    )


async def test_reports_page_draws_the_seeded_numbers(
    browser: Any, sqlite_store: CustomerStore
) -> None:
    seeded = await seed_history(sqlite_store)
    desk = Desk(sqlite_store)
    desk.presence.add(seeded.sue)  # the desktop she lands on after signing in knows her
    reports_http.setup(
        desk.app, sqlite_store, clock=Clock(T0 + timedelta(days=30)), targets=TARGETS.get
    )
    await desk.start()
    try:
        page = await browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)

        await page.goto(str(desk.client.make_url("/reports")))
        await page.wait_for_url("**/")  # not signed in: the sign-in page
        await page.fill("#login", "sue")
        await page.fill("#password", "pw-sue")
        await page.click("#signin-submit")
        await page.wait_for_url("**/desktop")

        await page.goto(str(desk.client.make_url(f"/reports?from={FROM}&to={TO}")))
        await page.wait_for_selector("body[data-loads='1'][data-ready=yes]", timeout=15_000)
        assert errors == []

        # every chart is drawn as SVG by plotly
        for chart in ("services", "sl", "agents", "ivr", "exits", "personalisation", "channels"):
            assert await page.locator(f"#chart-{chart} .main-svg").count() >= 1, chart
        assert await page.locator("#chart-services .bars .point").count() == 6  # 3 per service

        offered = await _trace(page, "chart-services", "offered")
        assert offered == {"x": ["billing", "sales"], "y": [5, 4]}
        assert (await _trace(page, "chart-sl", "service level %"))["y"] == [40.0, 100.0]
        agents = await _trace(page, "chart-agents", "occupancy %")
        assert agents == {"x": ["Ann", "Boris"], "y": [13.3, 7.8]}
        assert (await _trace(page, "chart-ivr", "containment %"))["y"] == [0.0, 40.0]
        exits = await _trace(page, "chart-exits", "abandoned")
        assert exits["x"] == ["bank_card/pin", "telecom/account", "telecom/main"]
        promoted = await _trace(page, "chart-personalisation", "promoted chosen %")
        assert promoted == {"x": ["telecom/main"], "y": [50.0]}
        channels = await _trace(page, "chart-channels", "")
        assert channels == {"x": ["voice", "chat", "email", "sms"], "y": [4, 2, 1, 1]}
        assert await page.text_content("#channels-repeat_rate_pct") == "37.5"
        # the legend and axis labels are on screen, not only in the data
        assert "billing" in await page.text_content("#chart-services")
        assert await page.locator("#table-upsell tbody tr").count() == 4
        assert "Ann Test" in await page.text_content("#table-upsell tbody tr:first-child")
        csv_link = await page.get_attribute("a[data-csv=services]", "href")
        assert csv_link == f"/api/reports/services.csv?from={FROM}&to={TO}"

        # narrowing to a service redraws with only its numbers
        await page.fill("#service", "sales")
        await page.click("#apply")
        await page.wait_for_selector("body[data-loads='2'][data-ready=yes]")
        assert (await _trace(page, "chart-services", "offered"))["y"] == [4]
        assert errors == []
    finally:
        await desk.close()
