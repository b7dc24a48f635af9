"""The admin scenarios page in real headless Chromium: an admin signs in on the desktop's
sign-in page, opens the scenarios and sees the telecom flow drawn by Graphviz, node by node."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from customers.store import CustomerStore
from ivr.scenario import load_valid
from tests.admin_helpers import ROOT, SMALL, admin_site, people

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="no /usr/bin/chromium"),
    pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed"),
]


async def test_an_admin_sees_the_flow_diagram_of_each_scenario(
    browser: Any, sqlite_store: CustomerStore, tmp_path: Path
) -> None:
    await people(sqlite_store)
    telecom = (ROOT / "scenarios" / "telecom.yaml").read_text(encoding="utf-8")
    broken = SMALL.format(name="broken").replace("target: bye", "target: byee")
    files = {"telecom": telecom, "broken": broken}
    async with admin_site(sqlite_store, tmp_path, scenario_files=files) as site:
        page = await browser.new_page(viewport={"width": 1440, "height": 960})
        errors: list[str] = []  # script errors, and admin answers other than 2xx/3xx
        failed: list[tuple[int, str]] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "response",
            lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None,
        )

        await page.goto(str(site.client.make_url("/")))
        await page.fill("#login", "root")
        await page.fill("#password", "pw-root")
        await page.click("#signin-submit")
        await page.wait_for_url("**/desktop")
        await page.goto(str(site.client.make_url("/admin/scenarios")))

        diagram = page.locator("#flow-telecom svg")
        await diagram.wait_for()
        assert await diagram.is_visible()
        titles = await page.locator("#flow-telecom svg g.node > title").all_text_contents()
        scenario = load_valid(site.scenario_dir / "telecom.yaml")
        assert set(scenario.nodes) <= set(titles)
        kinds = await page.locator("#flow-telecom svg g.node").evaluate_all(
            "nodes => Object.fromEntries(nodes.map(n => "
            "[n.querySelector('title').textContent, n.getAttribute('class')]))"
        )
        for nid, node in scenario.nodes.items():
            assert kinds[nid] == f"node kind-{node.kind}"
        # what the boxes say: the id and the kind's detail, drawn as SVG text
        billing = page.locator("#flow-telecom svg g.node", has_text="main_menu")
        assert "menu" in await billing.first.text_content()
        edge_labels = await page.locator("#flow-telecom svg g.edge text").all_text_contents()
        assert "6 billing" in edge_labels and "else" in edge_labels
        box = await diagram.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 200

        status = page.locator("#scenario-broken .status")
        assert "refused" in await status.text_content()
        problem = await page.locator("#scenario-broken .problem").first.text_content()
        assert "broken.yaml:" in problem and "byee" in problem
        assert await page.locator("#flow-broken svg g.missing").count() == 1

        await page.click("#reload")
        await page.wait_for_selector(".notice.ok")
        assert "Reloaded" in await page.text_content(".notice.ok")
        assert "broken" in await page.text_content(".notice.error")
        assert errors == []
        admin = [(status, url.split("/", 3)[-1]) for status, url in failed if "/admin" in url]
        assert admin == [(422, "admin/scenarios/reload")]  # the refused file, by design


async def test_an_admin_renames_moves_and_promotes_an_agent_on_the_agents_page(
    browser: Any, sqlite_store: CustomerStore, tmp_path: Path
) -> None:
    await people(sqlite_store)
    ann = await sqlite_store.get_agent("ann")
    assert ann is not None
    async with admin_site(sqlite_store, tmp_path) as site:
        page = await browser.new_page(viewport={"width": 1440, "height": 960})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        failed: list[tuple[int, str]] = []
        page.on(
            "response",
            lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None,
        )
        await page.goto(str(site.client.make_url("/")))
        await page.fill("#login", "root")
        await page.fill("#password", "pw-root")
        await page.click("#signin-submit")
        await page.wait_for_url("**/desktop")
        await page.goto(str(site.client.make_url("/admin/agents")))

        row = page.locator(f"tr[data-agent='{ann.id}']")
        await row.get_by_label("name of ann", exact=True).fill("")  # first a mistake: no name
        await row.get_by_label("save name, role and team of ann", exact=True).click()
        await page.wait_for_selector(".notice.error")
        assert "name" in await page.text_content(".notice.error")
        assert (await sqlite_store.get_agent(ann.id)) == ann

        row = page.locator(f"tr[data-agent='{ann.id}']")
        await row.get_by_label("name of ann", exact=True).fill("Ann Lee")
        await row.get_by_label("team of ann", exact=True).fill("south")
        await row.get_by_label("role of ann", exact=True).select_option("supervisor")
        await row.get_by_label("save name, role and team of ann", exact=True).click()
        await page.wait_for_url("**/admin/agents?saved=ann")
        assert "Saved agent ann." in await page.text_content(".notice.ok")
        row = page.locator(f"tr[data-agent='{ann.id}']")
        assert await row.get_by_label("name of ann", exact=True).input_value() == "Ann Lee"
        assert await row.get_by_label("team of ann", exact=True).input_value() == "south"
        assert await row.get_by_label("role of ann", exact=True).input_value() == "supervisor"
        saved = await sqlite_store.get_agent(ann.id)
        assert saved is not None and (saved.name, saved.team, saved.role) == (
            "Ann Lee",
            "south",
            "supervisor",
        )
        live = next(a for a in await site.router.agents() if a["login"] == "ann")
        assert live["name"] == "Ann Lee"
        assert errors == []
        admin = [(status, url.split("/", 3)[-1]) for status, url in failed if "/admin" in url]
        assert admin == [(422, f"admin/agents/{ann.id}")]  # the nameless save, by design
