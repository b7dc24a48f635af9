"""Agents, skills and services, with validation."""

from __future__ import annotations

import pytest

from customers.exceptions import Conflict, InvalidValue, NotFound
from customers.records import Actor
from customers.store import CustomerStore


async def test_agents_with_skills(store: CustomerStore) -> None:
    billing = await store.upsert_skill("billing")
    assert await store.upsert_skill("billing") == billing
    bob = await store.create_agent(
        "bob",
        "Bob Jones",
        "PJSIP/1001",
        team="tier1",
        password_hash="$argon2id$x",
        skills={"billing": 7, "english": 10},
    )
    assert bob.skills == {"billing": 7, "english": 10}
    assert "argon2" not in repr(bob)  # the hash never lands in logs
    ann = await store.create_agent("ann", "Ann Lee", "SIP/ann-phone", role="supervisor")
    assert await store.get_agent("bob") == bob == await store.get_agent(bob.id)
    assert await store.get_agent("nobody") is None

    changed = await store.set_agent_skills("bob", {"spanish": 3})
    assert changed.skills == {"spanish": 3}
    assert [a.login for a in await store.list_agents()] == ["ann", "bob"]
    assert [a.skills for a in await store.list_agents()] == [{}, {"spanish": 3}]
    assert (await store.get_agent(ann.id)).role == "supervisor"  # type: ignore[union-attr]


async def test_agent_validation(store: CustomerStore) -> None:
    await store.create_agent("bob", "Bob", "PJSIP/1001")
    with pytest.raises(Conflict, match="'bob' is already taken"):
        await store.create_agent("bob", "Other Bob", "PJSIP/1002")
    with pytest.raises(InvalidValue, match=r"^skills\['billing'\] level: 11 is outside 1..10"):
        await store.create_agent("eve", "Eve", "PJSIP/1003", skills={"billing": 11})
    with pytest.raises(InvalidValue, match="level: 0 is outside"):
        await store.set_agent_skills("bob", {"billing": 0})
    with pytest.raises(InvalidValue, match="^endpoint: '1001'"):
        await store.create_agent("eve", "Eve", "1001")
    with pytest.raises(InvalidValue, match="^role:"):
        await store.create_agent("eve", "Eve", "PJSIP/1003", role="boss")
    with pytest.raises(NotFound):
        await store.set_agent_skills("eve", {"billing": 1})
    assert [a.login for a in await store.list_agents()] == ["bob"]
    assert (await store.get_agent("bob")).skills == {}  # type: ignore[union-attr]


async def test_agent_name_team_and_role_updated_checked_and_audited(store: CustomerStore) -> None:
    root = await store.create_agent("root", "Root", "PJSIP/1000", role="admin")
    bob = await store.create_agent("bob", "Bob", "PJSIP/1001", team="tier1", skills={"tv": 4})
    by_root = Actor("agent", str(root.id))
    changed = await store.update_agent(
        bob.id, {"name": "Bob Jones", "team": None, "role": "supervisor"}, actor=by_root
    )
    assert (changed.name, changed.team, changed.role) == ("Bob Jones", None, "supervisor")
    assert changed.skills == {"tv": 4} and changed.login == "bob"  # the rest is kept
    assert await store.get_agent("bob") == changed
    entry = (await store.audit_log(target_kind="agent", target_id=bob.id))[0]
    assert (entry.action, entry.actor) == ("agent.update", by_root)
    assert entry.detail == {"fields": ["name", "role", "team"], "role": "supervisor"}

    same = await store.update_agent("bob", {"team": None}, actor=by_root)  # nothing changes
    assert same == changed and len(await store.audit_log(target_kind="agent")) == 1
    await store.update_agent("bob", {"team": "tier2"})
    assert (await store.audit_log(action="agent.update"))[0].detail == {"fields": ["team"]}

    for changes, message in (
        ({"name": ""}, "^name:"),
        ({"name": 7}, "^name:"),
        ({"team": "x" * 101}, "^team:"),
        ({"role": "boss"}, "^role:"),
        ({"login": "robert"}, "^login: cannot be changed here"),
        ({}, "^body: nothing to change"),
    ):
        with pytest.raises(InvalidValue, match=message):
            await store.update_agent("bob", changes)
    with pytest.raises(InvalidValue, match="^actor"):
        await store.update_agent("bob", {"name": "B"}, actor="root")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await store.update_agent("nobody", {"name": "N"})
    with pytest.raises(Conflict, match="'root' is the last admin"):
        await store.update_agent(root.id, {"role": "agent"})
    await store.update_agent("bob", {"role": "admin"})
    assert (await store.update_agent(root.id, {"role": "agent"})).role == "agent"
    assert (await store.get_agent("bob")).name == "Bob Jones"  # type: ignore[union-attr]
    assert len(await store.audit_log(action="agent.update")) == 4


async def test_services_upsert_and_list(store: CustomerStore) -> None:
    sales = await store.upsert_service(
        "sales",
        priority=1,
        sl_target_pct=90,
        sl_threshold_s=15,
        wrapup_s=10,
        skills={"sales": 2},
        config={"moh": "default", "max_wait_s": 300},
    )
    assert (sales.sl_target_pct, sales.skills, sales.config["moh"]) == (
        90.0,
        {"sales": 2},
        "default",
    )
    await store.upsert_service(
        "billing",
        priority=5,
        sl_target_pct=80,
        sl_threshold_s=20,
        wrapup_s=5,
        skills={"billing": 4, "english": 1},
        config={},
    )
    again = await store.upsert_service(
        "sales",
        priority=9,
        sl_target_pct=95.5,
        sl_threshold_s=30,
        wrapup_s=0,
        skills={"sales": 5, "spanish": 1},
        config={"moh": "jazz"},
    )
    assert again.id == sales.id
    assert await store.get_service("sales") == again
    listed = await store.list_services()
    assert [(s.name, s.priority) for s in listed] == [("sales", 9), ("billing", 5)]
    assert listed[0].skills == {"sales": 5, "spanish": 1} and listed[0].config == {"moh": "jazz"}
    assert listed[1].skills == {"billing": 4, "english": 1}
    assert await store.get_service("nothing") is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"sl_target_pct": 120}, "^sl_target_pct: 120 is outside 0..100"),
        ({"sl_threshold_s": 0}, "^sl_threshold_s:"),
        ({"wrapup_s": -1}, "^wrapup_s:"),
        ({"priority": "high"}, "^priority:"),
        ({"skills": {"billing": 12}}, r"^skills\['billing'\] level"),
        ({"config": ["x"]}, "^config:"),
    ],
)
async def test_service_validation(store: CustomerStore, overrides: dict, message: str) -> None:
    args = {"priority": 1, "sl_target_pct": 80, "sl_threshold_s": 20, "wrapup_s": 0} | overrides
    with pytest.raises(InvalidValue, match=message):
        await store.upsert_service("billing", **args)
    assert await store.list_services() == []
