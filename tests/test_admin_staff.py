"""The admin agents and services pages over real HTTP: the API's validation (4xx naming the
field or the place in the routing file), the store and the router serving the edit."""

from __future__ import annotations

from pathlib import Path

import yaml

from customers.store import CustomerStore
from tests.admin_helpers import admin_site, people

JSON = {"Accept": "application/json"}
BROKEN = {"Content-Type": "application/json"}  # with a body that is not JSON


async def test_agents_created_and_reskilled_with_the_apis_checks(
    store: CustomerStore, tmp_path: Path
) -> None:
    await people(store)
    async with admin_site(store, tmp_path) as site:
        await site.sign_in("root")
        post = site.origin()
        good = {
            "login": "kim",
            "name": "Kim",
            "endpoint": "PJSIP/2001",
            "role": "agent",
            "team": "",
            "skills": "billing=7, lang_ru: 5",
        }
        for field, value, status, named in (
            ("login", "", 422, "login"),
            ("endpoint", "not an endpoint", 422, "endpoint"),
            ("role", "boss", 422, "role"),
            ("skills", "billing=11", 422, "skills"),
            ("skills", "billing", 422, "skills"),
            ("login", "ann", 409, "login"),
        ):
            response = await site.client.post(
                "/admin/agents", data=good | {field: value}, headers=post
            )
            assert response.status == status, (field, value)
            html = await response.text()
            assert f'data-field="{named}' in html, (field, value)  # the banner names the field
            assert 'value="Kim"' in html  # the form keeps what was typed
        as_json = await site.client.post(
            "/admin/agents", json={"login": "x", "name": "X", "endpoint": 7}, headers=post | JSON
        )
        assert as_json.status == 422 and (await as_json.json())["field"] == "endpoint"

        created = await site.client.post(
            "/admin/agents", data=good, headers=post, allow_redirects=False
        )
        assert created.status == 303 and created.headers["Location"] == "/admin/agents?saved=kim"
        kim = await store.get_agent("kim")
        assert kim is not None and kim.skills == {"billing": 7, "lang_ru": 5} and kim.team is None
        live = {a["login"]: a for a in await site.router.agents()}
        assert live["kim"]["state"] == "offline"
        page = await (await site.client.get("/admin/agents?saved=kim")).text()
        assert "Saved agent kim." in page and 'value="billing=7, lang_ru=5"' in page

        await site.router.set_state(kim.id, "ready")
        bad = await site.client.post(
            f"/admin/agents/{kim.id}/skills", data={"skills": "tv=0"}, headers=post | JSON
        )
        assert bad.status == 422 and (await bad.json())["field"].startswith("skills")
        missing = await site.client.post(
            "/admin/agents/99999/skills", data={"skills": "tv=3"}, headers=post | JSON
        )
        assert missing.status == 404
        # every admin agent route as the API: 400 naming body or id, 422 naming a field
        for path, kwargs, field in (
            ("/admin/agents/x1/skills", {"json": {"skills": {"tv": 3}}}, "id"),
            (f"/admin/agents/{kim.id}/skills", {"json": [1]}, "body"),
            (f"/admin/agents/{kim.id}/skills", {"data": "{", "headers": BROKEN}, "body"),
            ("/admin/agents", {"data": "{", "headers": BROKEN}, "body"),
            ("/admin/agents", {"json": [1]}, "body"),
        ):
            headers = post | kwargs.pop("headers", {})
            refused = await site.client.post(path, headers=headers | JSON, **kwargs)
            assert refused.status == 400, (path, kwargs)
            assert (await refused.json())["field"] == field, (path, kwargs)
        saved = await site.client.post(
            f"/admin/agents/{kim.id}/skills", data={"skills": "tv=6"}, headers=post | JSON
        )
        assert saved.status == 200
        assert (await store.get_agent(kim.id)).skills == {"tv": 6}  # type: ignore[union-attr]
        view = next(a for a in await site.router.agents() if a["login"] == "kim")
        assert view["state"] == "ready"  # the live state survives the new skills
        assert "tv_support" in view["services"] and "billing" not in view["services"]


async def test_services_edit_checked_located_and_served(sqlite_store, tmp_path: Path) -> None:
    await people(sqlite_store)
    async with admin_site(sqlite_store, tmp_path) as site:
        await site.sign_in("root")
        post = site.origin()
        current = await (await site.client.get("/admin/services", headers=JSON)).json()
        text, version = current["text"], current["version"]
        assert "billing" in current["services"]

        bad = text.replace("{after_s: 60, set: {billing: 1}}", "{after_s: soon, set: {billing: 1}}")
        refused = await site.client.post(
            "/admin/services", json={"text": bad, "version": version}, headers=post
        )
        assert refused.status == 422
        body = await refused.json()
        assert body["path"] == "services.billing.relax[1].after_s"
        line = next(i for i, row in enumerate(bad.splitlines(), 1) if "soon" in row)
        assert body["line"] == line
        assert body["column"] == bad.splitlines()[line - 1].index("soon") + 1
        assert site.routing_path.read_text() == text  # nothing written

        page = await site.client.post(
            "/admin/services", data={"text": bad, "version": version}, headers=post
        )
        assert page.status == 422
        html = await page.text()
        assert f"line {line}, column" in html and "after_s: must be a number" in html
        assert "after_s: soon" in html  # the textarea keeps the edit

        syntax = await site.client.post(
            "/admin/services", json={"text": "services: [oops", "version": version}, headers=post
        )
        assert syntax.status == 422 and (await syntax.json())["line"] == 1

        data = yaml.safe_load(text)
        data["services"]["billing"]["requires"] = {"billing": 4}
        data["services"]["complaints"] = {"requires": {"retention": 2}, "priority": 3}
        edited = yaml.safe_dump(data, sort_keys=False)
        saved = await site.client.post(
            "/admin/services",
            data={"text": edited.replace("\n", "\r\n"), "version": version},
            headers=post,
            allow_redirects=False,
        )
        assert saved.status == 303, await saved.text()
        assert site.router.services["billing"].requires == {"billing": 4}
        assert site.router.services["complaints"].priority == 3
        assert site.routing_path.read_text() == edited
        assert not [p for p in site.routing_path.parent.iterdir() if p.name.endswith(".tmp")]

        stale = await site.client.post(
            "/admin/services", json={"text": text, "version": version}, headers=post
        )
        assert stale.status == 409 and "changed since" in (await stale.json())["message"]
        listing = await (await site.client.get("/admin/services")).text()
        assert 'data-service="complaints"' in listing


async def test_dropping_a_service_that_holds_calls_is_a_conflict(
    sqlite_store, tmp_path: Path
) -> None:
    await people(sqlite_store)
    async with admin_site(sqlite_store, tmp_path) as site:
        await site.sign_in("root")
        post = site.origin() | JSON
        await site.router.on_bus(
            "ivr.transfer",
            {
                "call_id": "c1",
                "channel": "PJSIP/caller-c1",
                "service": "moving",
                "skills": ["moving"],
                "priority": 5,
                "language": "en",
            },
        )
        assert [c["service"] for c in await site.router.contacts()] == ["moving"]
        current = await (await site.client.get("/admin/services", headers=JSON)).json()
        data = yaml.safe_load(current["text"])
        del data["services"]["moving"]
        edited = yaml.safe_dump(data, sort_keys=False)
        refused = await site.client.post(
            "/admin/services", json={"text": edited, "version": current["version"]}, headers=post
        )
        assert refused.status == 409
        assert "moving" in (await refused.json())["message"]
        assert "moving" in site.router.services
        assert site.routing_path.read_text() == current["text"]


async def test_an_agents_name_team_and_role_edited_by_admins_only(
    store: CustomerStore, tmp_path: Path
) -> None:
    await people(store)
    ann = await store.get_agent("ann")
    root = await store.get_agent("root")
    assert ann is not None and root is not None
    async with admin_site(store, tmp_path) as site:
        post = site.origin()
        path = f"/admin/agents/{ann.id}"
        change = {"name": "Ann Lee", "team": "south"}
        assert (await site.client.patch(path, json=change, headers=post)).status == 401
        for login in ("ann", "sue"):  # an agent, a supervisor
            await site.sign_in(login)
            refused = await site.client.patch(path, json=change, headers=post)
            assert refused.status == 403 and "admin" in (await refused.json())["message"]
            form = await site.client.post(path, data=change, headers=post)
            assert form.status == 403
        assert (await store.get_agent(ann.id)) == ann  # nothing changed

        await site.sign_in("root")
        assert (await site.client.patch(path, json=change)).status == 403  # no Origin: refused
        for body, field, status in (  # as the API: 422 a bad field, 400 no usable body
            ({"name": ""}, "name", 422),
            ({"name": 5}, "name", 422),
            ({"role": "boss"}, "role", 422),
            ({"team": "t" * 101}, "team", 422),
            ({"login": "annie"}, "login", 422),
            ({"endpoint": "PJSIP/9"}, "endpoint", 422),
            ({}, "body", 400),
            ([1, 2], "body", 400),
        ):
            bad = await site.client.patch(path, json=body, headers=post)
            assert bad.status == status, body
            assert (await bad.json())["field"] == field, body
        assert (
            await site.client.patch("/admin/agents/x1", json=change, headers=post)
        ).status == 400
        missing = await site.client.patch("/admin/agents/99999", json=change, headers=post)
        assert missing.status == 404 and (await missing.json())["field"] == "id"

        edited = await site.client.patch(path, json=change | {"role": "supervisor"}, headers=post)
        assert edited.status == 200, await edited.text()
        view = await edited.json()
        assert (view["name"], view["team"]) == ("Ann Lee", "south")
        live = next(a for a in await site.router.agents() if a["login"] == "ann")
        assert (live["name"], live["team"]) == ("Ann Lee", "south")  # the router serves it
        saved = await store.get_agent(ann.id)
        assert saved is not None and (saved.name, saved.team, saved.role) == (
            "Ann Lee",
            "south",
            "supervisor",
        )
        assert saved.skills == ann.skills and saved.login == "ann"
        entry = (await store.audit_log(action="agent.update", target_id=ann.id))[0]
        assert (entry.actor.kind, entry.actor.id) == ("agent", str(root.id))
        assert entry.detail == {"fields": ["name", "role", "team"], "role": "supervisor"}

        # the page's form: an empty team is none; a bad name is 422 with the field named
        form = {"name": "Ann", "role": "agent", "team": " "}
        done = await site.client.post(path, data=form, headers=post, allow_redirects=False)
        assert done.status == 303 and done.headers["Location"] == "/admin/agents?saved=ann"
        assert (await store.get_agent(ann.id)).team is None  # type: ignore[union-attr]
        page = await site.client.post(path, data=form | {"name": ""}, headers=post)
        assert page.status == 422 and 'data-field="name' in await page.text()
        listing = await (await site.client.get("/admin/agents")).text()
        assert f'form="edit-{ann.id}" name="name" aria-label="name of ann"' in listing

        # the last admin cannot drop the role
        last = await site.client.patch(
            f"/admin/agents/{root.id}", json={"role": "agent"}, headers=post
        )
        assert last.status == 409 and (await last.json())["field"] == "role"
        assert (await store.get_agent("root")).role == "admin"  # type: ignore[union-attr]
