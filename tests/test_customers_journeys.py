"""IVR journeys: lifecycle, lookups, and finding an unfinished journey to resume."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from customers.exceptions import Conflict, InvalidValue, JourneyConflict, NotFound
from customers.store import CustomerStore

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


async def test_journey_lifecycle(store: CustomerStore) -> None:
    ann = await store.create_customer("Ann")
    jid = await store.start_journey(
        "1700000000.42", "main", scenario_version="3", caller="+12025550143", started_at=T0
    )
    started = await store.get_journey(jid)
    assert started is not None
    assert (started.status, started.path, started.inputs, started.menus) == (
        "in_progress",
        [],
        {},
        [],
    )
    assert started.customer_id is None and started.started_at == T0

    path = [
        {"node": "welcome", "kind": "play", "at": 0, "input": None, "detail": None},
        {"node": "main_menu", "kind": "menu", "at": 4200, "input": "2", "detail": "billing"},
    ]
    menus = [{"menu": "main_menu", "heard": ["2", "1", "3"], "promoted": ["2"], "reasons": {}}]
    updated = await store.update_journey(
        jid,
        customer_id=ann.id,
        path=path,
        inputs={"account": "77"},
        menus=menus,
        stopped_at="main_menu",
        intent="billing",
    )
    assert (updated.path, updated.menus, updated.customer_id) == (path, menus, ann.id)
    done = await store.update_journey(
        jid,
        status="transferred",
        service="billing",
        ended_at=T0 + timedelta(seconds=30),
        resume_token="r-abc",
    )
    assert await store.get_journey("1700000000.42") == done == await store.get_journey(jid)
    assert done.status == "transferred" and done.inputs == {"account": "77"}
    assert done.ended_at == T0 + timedelta(seconds=30) and done.resume_token == "r-abc"
    assert await store.get_journey("no-such-call") is None
    assert await store.get_journey(jid + 100) is None


async def test_journey_errors(store: CustomerStore) -> None:
    jid = await store.start_journey("c1", "main")
    with pytest.raises(JourneyConflict) as info:
        await store.start_journey("c1", "other")
    assert info.value.journey_id == jid
    with pytest.raises(InvalidValue, match="^colour: not a journey field"):
        await store.update_journey(jid, colour="blue")
    with pytest.raises(InvalidValue, match="^status: 'done'"):
        await store.update_journey(jid, status="done")
    with pytest.raises(InvalidValue, match="^path: expected a list"):
        await store.update_journey(jid, path={"node": "x"})
    with pytest.raises(InvalidValue, match="^ended_at:"):
        await store.update_journey(jid, ended_at=datetime(2024, 1, 1))
    with pytest.raises(NotFound):
        await store.update_journey(jid + 1, status="completed")
    with pytest.raises(NotFound, match="customer 77"):
        await store.start_journey("c2", "main", customer_id=77)
    other = await store.start_journey("c3", "main")
    await store.update_journey(other, resume_token="tok")
    with pytest.raises(Conflict, match="resume_token"):
        await store.update_journey(jid, resume_token="tok")
    assert (await store.get_journey(jid)).status == "in_progress"  # type: ignore[union-attr]


async def test_last_unfinished_journey_window(store: CustomerStore) -> None:
    ann = await store.create_customer("Ann")
    bob = await store.create_customer("Bob")
    now = T0 + timedelta(hours=2)

    async def journey(call: str, start: timedelta, status: str, stopped: str | None, **kw):
        jid = await store.start_journey(
            call, "main", customer_id=kw.pop("who", ann.id), started_at=T0 + start
        )
        fields = {"status": status, "stopped_at": stopped} | kw
        await store.update_journey(jid, **fields)
        return jid

    await journey("old", timedelta(0), "abandoned", "menu_a")  # outside a 30 min window
    completed = await journey("done", timedelta(minutes=100), "completed", "goodbye")
    fresh_in_progress = await journey("live", timedelta(minutes=110), "in_progress", None)
    abandoned = await journey(
        "dropped",
        timedelta(minutes=95),
        "abandoned",
        "collect_account",
        ended_at=T0 + timedelta(minutes=99),
    )
    await journey("bobs", timedelta(minutes=115), "abandoned", "menu_b", who=bob.id)

    found = await store.last_unfinished_journey(ann.id, within=timedelta(minutes=30), now=now)
    assert found is not None and found.id == abandoned and found.stopped_at == "collect_account"
    assert completed != found.id and fresh_in_progress != found.id

    stalled = await journey("stalled", timedelta(minutes=105), "in_progress", "menu_c")
    found = await store.last_unfinished_journey(ann.id, within=timedelta(minutes=30), now=now)
    assert found is not None and found.id == stalled
    found = await store.last_unfinished_journey(
        ann.id, within=timedelta(minutes=30), now=now, exclude_journey_id=stalled
    )
    assert found is not None and found.id == abandoned

    old = await store.last_unfinished_journey(ann.id, within=timedelta(hours=3), now=T0)
    assert old is not None and old.call_id == "old"
    assert await store.last_unfinished_journey(ann.id, within=timedelta(minutes=5), now=now) is None
    with pytest.raises(InvalidValue, match="^within:"):
        await store.last_unfinished_journey(ann.id, within=timedelta(0))
