"""The desktop's HTTP routes on a real server: state controls, the current pop, the unknown
caller, more timeline, and the wrap-up saved once as the interaction on the timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from customers.store import CustomerStore
from omnivox.desktop import build_pop
from tests.desktop_helpers import Desk, make_agent, running


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _pop_for(desk: Desk, agent_id: int, customer_id: int | None, call_id: str) -> dict:
    contact = {
        "call_id": call_id,
        "journey_id": None,
        "customer_id": customer_id,
        "caller": "+14155550123",
        "service": "billing",
        "skills": [],
        "kind": "call",
        "waited_s": 3.0,
    }
    pop = await build_pop(desk.store, contact=contact, trace=None, agent_id=agent_id)
    return await desk.hub.push(agent_id, pop)


async def test_state_controls_go_through_the_presence_interface(
    sqlite_store: CustomerStore,
) -> None:
    ann = await make_agent(sqlite_store, "ann", team="north")
    bob = await make_agent(sqlite_store, "bob", team="north")
    sue = await make_agent(sqlite_store, "sue", role="supervisor", team="north")
    async with running(sqlite_store) as desk:
        for agent in (ann, bob):
            desk.presence.add(agent.id)
        token = bearer(await desk.token("ann"))
        url = f"/api/agents/{ann.id}/state"
        ready = await desk.client.put(url, json={"state": "ready"}, headers=token)
        assert ready.status == 200 and (await ready.json())["state"] == "ready"
        nr = await desk.client.put(url, json={"state": "not_ready"}, headers=token)
        assert nr.status == 422 and (await nr.json())["field"] == "reason"
        lunch = await desk.client.put(
            url, json={"state": "not_ready", "reason": "lunch"}, headers=token
        )
        assert (await lunch.json())["reason"] == "lunch"
        assert (await desk.presence.get_state(ann.id))["state"] == "not_ready"
        desk.presence.router_state(ann.id, "on_call")
        busy = await desk.client.put(url, json={"state": "ready"}, headers=token)
        assert busy.status == 409 and "not now" in (await busy.json())["message"]
        desk.presence.router_state(ann.id, "wrap_up", wrap_up_s=30)
        view = await (await desk.client.get(f"/api/agents/{ann.id}", headers=token)).json()
        assert view["state"] == "wrap_up" and 0 < view["wrap_up_left_s"] <= 30
        foreign = await desk.client.put(
            f"/api/agents/{bob.id}/state", json={"state": "ready"}, headers=token
        )
        assert foreign.status == 403
        boss = bearer(await desk.token("sue"))
        allowed = await desk.client.put(
            f"/api/agents/{bob.id}/state", json={"state": "ready"}, headers=boss
        )
        assert allowed.status == 200
        unknown = await desk.client.get(f"/api/agents/{sue.id}", headers=boss)
        assert unknown.status == 404  # sue has no presence entry
        desk.client.session.cookie_jar.clear()  # no session cookie, no bearer
        assert (await desk.client.get(f"/api/agents/{ann.id}")).status == 401


async def test_the_wrapup_is_saved_once_on_the_timeline(sqlite_store: CustomerStore) -> None:
    ann = await make_agent(sqlite_store, "ann")
    await make_agent(sqlite_store, "bob")
    customer = await sqlite_store.create_customer("Carl", identities=[("phone", "+14155550123")])
    journey = await sqlite_store.start_journey("call-1", "telecom", customer_id=customer.id)
    async with running(sqlite_store) as desk:
        pop = await build_pop(
            sqlite_store,
            contact={"call_id": "call-1", "journey_id": journey, "customer_id": customer.id},
            trace=None,
        )
        await desk.hub.push(ann.id, pop)
        token = bearer(await desk.token("ann"))
        body = {
            "call_id": "call-1",
            "notes": "Explained the roaming charge; refund of 12.40 agreed.",
            "disposition": "refund_agreed",
            "topic": "roaming charge",
            "outcome": "resolved",
        }
        saved = await desk.client.post("/desktop/wrapup", json=body, headers=token)
        assert saved.status == 201, await saved.text()
        item = (await saved.json())["interaction"]
        assert item["agent"] == {"id": ann.id, "name": "Ann"}
        assert (item["channel"], item["outcome"], item["disposition"]) == (
            "voice",
            "resolved",
            "refund_agreed",
        )
        again = await desk.client.post("/desktop/wrapup", json=body, headers=token)
        assert again.status == 200 and (await again.json())["duplicate"] is True
        timeline = await sqlite_store.timeline(customer.id)
        assert len(timeline.items) == 1
        record = timeline.items[0]
        assert (record.agent_id, record.journey_id, record.summary, record.topic) == (
            ann.id,
            journey,
            body["notes"],
            "roaming charge",
        )
        assert record.data["disposition"] == "refund_agreed"
        other = bearer(await desk.token("bob"))
        stolen = await desk.client.post("/desktop/wrapup", json=body, headers=other)
        assert stolen.status == 403


async def test_wrapup_input_is_checked_field_by_field(sqlite_store: CustomerStore) -> None:
    ann = await make_agent(sqlite_store, "ann")
    async with running(sqlite_store) as desk:
        await _pop_for(desk, ann.id, None, "call-u")
        token = bearer(await desk.token("ann"))
        base = {"call_id": "call-u", "disposition": "info_given"}
        cases = [
            ({"disposition": ""}, "disposition"),
            ({"disposition": "<script>"}, "disposition"),
            ({"outcome": "great"}, "outcome"),
            ({"notes": "x" * 20_001}, "notes"),
            ({"topic": 42}, "topic"),
            ({"call_id": None}, "call_id"),
        ]
        for change, field in cases:
            response = await desk.client.post("/desktop/wrapup", json=base | change, headers=token)
            assert response.status == 422, change
            assert (await response.json())["field"] == field
        nowhere = await desk.client.post(
            "/desktop/wrapup", json=base | {"call_id": "never-popped"}, headers=token
        )
        assert nowhere.status == 404
        unknown = await desk.client.post("/desktop/wrapup", json=base, headers=token)
        assert unknown.status == 409 and (await unknown.json())["error"] == "unknown_caller"


async def test_an_unknown_caller_is_created_or_linked(sqlite_store: CustomerStore) -> None:
    ann = await make_agent(sqlite_store, "ann")
    existing = await sqlite_store.create_customer("Dora", identities=[("email", "dora@x.org")])
    async with running(sqlite_store) as desk:
        token = bearer(await desk.token("ann"))
        await _pop_for(desk, ann.id, None, "call-new")
        created = await desk.client.post(
            "/desktop/contacts/call-new/customer",
            json={"action": "create", "name": "Eve Newcomer"},
            headers=token,
        )
        assert created.status == 200, await created.text()
        pop = (await created.json())["pop"]
        assert pop["customer"]["name"] == "Eve Newcomer"
        assert pop["customer"]["identities"]["phone"][0]["value"] == "+14155550123"
        found = await sqlite_store.find_by_identity("phone", "+14155550123")
        assert found is not None and found.display_name == "Eve Newcomer"

        await _pop_for(desk, ann.id, None, "call-link")
        search = await desk.client.get("/desktop/customers?email=DORA@x.org", headers=token)
        assert (await search.json())["customers"] == [
            {"id": existing.id, "name": "Dora", "segment": None}
        ]
        conflict = await desk.client.post(
            "/desktop/contacts/call-link/customer",
            json={"action": "link", "customer_id": existing.id},
            headers=token,
        )
        assert conflict.status == 409  # that number already belongs to Eve now
        bad = await desk.client.post(
            "/desktop/contacts/call-link/customer", json={"action": "merge"}, headers=token
        )
        assert bad.status == 422 and (await bad.json())["field"] == "action"


async def test_more_timeline_and_the_current_pop(sqlite_store: CustomerStore) -> None:
    ann = await make_agent(sqlite_store, "ann")
    await make_agent(sqlite_store, "bob")
    customer = await sqlite_store.create_customer("Fay")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(55):
        await sqlite_store.record_interaction(
            customer.id, "chat", "in", occurred_at=start + timedelta(hours=n), topic=f"#{n}"
        )
    async with running(sqlite_store) as desk:
        pushed = await _pop_for(desk, ann.id, customer.id, "call-f")
        token = bearer(await desk.token("ann"))
        current = await (await desk.client.get("/desktop/current", headers=token)).json()
        assert current["pop"]["id"] == pushed["id"]
        cursor = current["pop"]["timeline"]["next_cursor"]
        more = await desk.client.get(
            f"/desktop/contacts/call-f/timeline?before={cursor}", headers=token
        )
        assert [i["topic"] for i in (await more.json())["items"]] == [
            f"#{n}" for n in range(4, -1, -1)
        ]
        garbage = await desk.client.get(
            "/desktop/contacts/call-f/timeline?before=nonsense", headers=token
        )
        assert garbage.status == 422
        bob = bearer(await desk.token("bob"))
        assert (
            await desk.client.get("/desktop/contacts/call-f/timeline", headers=bob)
        ).status == 403
        assert (
            await desk.client.get(f"/desktop/current?agent={ann.id}", headers=bob)
        ).status == 403


async def test_pages_and_static_files_are_served_locally(sqlite_store: CustomerStore) -> None:
    await make_agent(sqlite_store, "ann")
    async with running(sqlite_store) as desk:
        sign_in = await desk.client.get("/")
        html = await sign_in.text()
        assert sign_in.status == 200 and 'action="/auth/login"' in html
        assert "http://" not in html and "https://" not in html  # no CDN
        for name in ("desktop.js", "render.js", "desktop.css", "signin.js"):
            asset = await desk.client.get(f"/desktop/static/{name}")
            assert asset.status == 200, name
            assert "https://" not in await asset.text(), name
        away = await desk.client.get("/desktop", allow_redirects=False)
        assert away.status == 303 and away.headers["Location"] == "/"
        await desk.token("ann")
        assert (await desk.client.get("/", allow_redirects=False)).status == 303
