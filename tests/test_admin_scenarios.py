"""The admin scenarios page over real HTTP: who may see it, files with their line:column
problems, the flow diagram through the real ``dot``, and reload keeping the last good file."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from ivr.scenario.validate import validate_file
from omnivox.admin.graphviz import Graphviz, RenderError
from tests.admin_helpers import ROOT, SMALL, admin_site, people

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")
BROKEN = SMALL.format(name="broken").replace("target: bye", "target: byee")
JSON = {"Accept": "application/json"}


async def test_only_admins_see_the_pages(sqlite_store, tmp_path: Path) -> None:
    await people(sqlite_store)
    async with admin_site(sqlite_store, tmp_path) as site:
        for path in ("/admin/scenarios", "/admin/agents", "/admin/services"):
            site.client.session.cookie_jar.clear()
            anonymous = await site.client.get(path, headers=JSON)
            assert anonymous.status == 401, path
            assert (await anonymous.json())["message"] == "sign in first"
            page = await site.client.get(path)
            assert page.status == 401 and "Sign in as an admin" in await page.text()
            for login in ("ann", "sue"):
                await site.sign_in(login)
                refused = await site.client.get(path, headers=JSON)
                assert refused.status == 403, (path, login)
                assert "role admin" in (await refused.json())["message"]
            await site.sign_in("root")
            assert (await site.client.get(path)).status == 200
        await site.sign_in("sue")
        posted = await site.client.post("/admin/scenarios/reload", headers=site.origin())
        assert posted.status == 403
        site.client.session.cookie_jar.clear()
        assert (
            await site.client.post("/admin/scenarios/reload", headers=site.origin())
        ).status == 401


async def test_a_cookie_session_post_needs_this_sites_origin(sqlite_store, tmp_path: Path) -> None:
    await people(sqlite_store)
    async with admin_site(sqlite_store, tmp_path) as site:
        await site.sign_in("root")
        for headers in ({}, {"Origin": "https://evil.example"}, {"Origin": "null"}):
            refused = await site.client.post("/admin/scenarios/reload", headers=headers | JSON)
            assert refused.status == 403, headers
            assert "cross-site" in (await refused.json())["message"]
        same = await site.client.post("/admin/scenarios/reload", headers=site.origin() | JSON)
        assert same.status == 200
        # a Bearer token is not sent by a browser on its own: no Origin needed
        token = await site.desk.token("root")
        site.client.session.cookie_jar.clear()
        bearer = {"Authorization": f"Bearer {token}"} | JSON
        assert (await site.client.post("/admin/scenarios/reload", headers=bearer)).status == 200


async def test_listing_shows_each_file_with_its_problems_at_line_and_column(
    sqlite_store, tmp_path: Path
) -> None:
    await people(sqlite_store)
    files = {"small": SMALL.format(name="small"), "broken": BROKEN, "garbage": "nodes: [\n"}
    async with admin_site(sqlite_store, tmp_path, scenario_files=files) as site:
        await site.sign_in("root")
        listing = await (await site.client.get("/admin/scenarios", headers=JSON)).json()
        by_name = {s["name"]: s for s in listing["scenarios"]}
        assert sorted(by_name) == ["broken", "garbage", "small"]
        assert by_name["small"]["valid"] and by_name["small"]["problems"] == []
        assert by_name["small"]["status"] == "valid, serving this version"
        broken = by_name["broken"]
        assert not broken["valid"] and broken["served_version"] is None
        expected = [str(p) for p in validate_file(site.scenario_dir / "broken.yaml")]
        assert [p["text"] for p in broken["problems"]] == expected  # what `omnivox validate` says
        lines = BROKEN.splitlines()
        line = next(i for i, text in enumerate(lines, 1) if "byee" in text)
        column = lines[line - 1].index("byee") + 1
        assert expected[0].startswith(f"{site.scenario_dir / 'broken.yaml'}:{line}:{column}: ")
        assert "byee" in expected[0]
        assert by_name["garbage"]["problems"][0]["line"] == 2  # a YAML syntax error's place

        html = await (await site.client.get("/admin/scenarios")).text()
        assert f"{site.scenario_dir / 'broken.yaml'}:{line}:{column}: " in html
        assert 'id="flow-small"' in html and "<svg" in html
        assert 'class="node kind&#45;menu"' in html  # dot's SVG of the small flow
        assert "Drawn from the refused file." in html  # broken: its partial diagram
        assert "No diagram: the file does not parse." in html  # garbage


async def test_reload_refuses_a_bad_file_and_the_last_good_version_keeps_serving(
    sqlite_store, tmp_path: Path
) -> None:
    await people(sqlite_store)
    async with admin_site(sqlite_store, tmp_path) as site:
        await site.sign_in("root")
        good = site.scenarios["small"].version
        path = site.scenario_dir / "small.yaml"
        path.write_text(SMALL.format(name="small").replace("next: menu", "next: menuu"))
        os.utime(path, ns=(1, 1))  # a new mtime even within the clock's resolution
        post = await site.client.post("/admin/scenarios/reload", headers=site.origin() | JSON)
        assert post.status == 422
        body = await post.json()
        assert site.scenarios["small"].version == good  # the last good version serves
        assert body["serving"] == {"small": good}
        refused = body["refused"][0]
        assert refused["name"] == "small" and refused["served_version"] == good
        assert any("'menuu'" in p["message"] for p in refused["problems"])
        assert "the last good version keeps serving" in refused["status"]

        page = await site.client.post("/admin/scenarios/reload", headers=site.origin())
        assert page.status == 422
        assert "Refused (the last good version keeps serving): small" in await page.text()

        fixed = SMALL.format(name="small").replace("Hello.", "Hello again.")
        path.write_text(fixed)
        os.utime(path, ns=(2, 2))
        post = await site.client.post("/admin/scenarios/reload", headers=site.origin() | JSON)
        assert post.status == 200
        assert (await post.json())["changed"] == ["small"]
        assert site.scenarios["small"].version != good
        assert ("en", "Hello again.") in site.scenarios["small"].all_prompt_texts()


async def test_the_diagram_as_svg_and_without_dot(sqlite_store, tmp_path: Path) -> None:
    await people(sqlite_store)
    async with admin_site(sqlite_store, tmp_path) as site:
        await site.sign_in("root")
        svg = await site.client.get("/admin/scenarios/small.svg")
        assert svg.status == 200 and svg.content_type == "image/svg+xml"
        text = await svg.text()
        assert text.startswith("<svg") and "<title>to_billing</title>" in text
        runs = site.graphviz.runs
        await site.client.get("/admin/scenarios/small.svg")
        await site.client.get("/admin/scenarios")
        assert site.graphviz.runs == runs  # same file, same text: from the cache
        assert (await site.client.get("/admin/scenarios/nope.svg")).status == 404
    missing = tmp_path / "second"
    missing.mkdir()
    async with admin_site(sqlite_store, missing, dot=str(tmp_path / "no-dot")) as site:
        await site.sign_in("root")
        page = await site.client.get("/admin/scenarios")
        assert page.status == 200
        assert "Graphviz is not installed" in await page.text()
        assert (await site.client.get("/admin/scenarios/small.svg")).status == 503


async def test_dot_that_hangs_is_stopped(tmp_path: Path) -> None:
    slow = tmp_path / "slow-dot"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    graphviz = Graphviz(str(slow), timeout_s=0.3)
    started = asyncio.get_running_loop().time()
    with pytest.raises(RenderError, match="longer than 0.3 s"):
        await graphviz.svg("digraph { a -> b }")
    assert asyncio.get_running_loop().time() - started < 5
    with pytest.raises(RenderError, match="dot failed"):
        await Graphviz().svg("digraph { a -> ")


async def test_shipped_scenarios_render(tmp_path: Path) -> None:
    from ivr.scenario import load_valid
    from omnivox.admin.flow import flow_dot

    graphviz = Graphviz()
    for name in ("telecom", "bank_card"):
        scenario = load_valid(ROOT / "scenarios" / f"{name}.yaml")
        svg = await graphviz.svg(flow_dot(scenario))
        for nid in scenario.nodes:
            assert f'id="flow-{name}-{nid}"' in svg.replace("&#45;", "-")
