"""The routing state contract, part 2 (a contact's end, overflow listing, heads, snapshot,
the API list, concurrency), against MemoryState and RedisState."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest

from routing.core import assign, best_contact_for_agent
from routing.core.model import AgentState
from routing.state import (
    NotFound,
    Refused,
    RefuseReason,
    Reservation,
    RoutingState,
    StaleVersion,
    StateError,
    TransitionError,
)
from tests.test_routing_state_support import (
    SERVICES,
    STORES,
    T0,
    Clock,
    agent,
    check_invariants,
    contact,
    open_store,
)

READY, NOT_READY = AgentState.READY, AgentState.NOT_READY


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=STORES)
async def state(request: pytest.FixtureRequest, clock: Clock) -> AsyncIterator[RoutingState]:
    async with open_store(request.param, clock) as store:
        yield store


async def ids(state: RoutingState, service: str = "billing") -> list[str]:
    return [c.id for c in await state.waiting(service)]


# --- the end of a contact --------------------------------------------------------------------


async def test_abandon_while_waiting_and_while_ringing(state: RoutingState, clock: Clock) -> None:
    await state.put_agent(agent("a1", state=READY))
    await state.enqueue(contact("c1", entered_at=T0 - 40))
    await state.enqueue(contact("c2"))
    clock.advance(5)
    gone = await state.remove_contact("c1")
    assert gone is not None and gone.outcome == "abandoned" and gone.agent_id is None
    assert gone.waited_s == pytest.approx(45)
    assert await ids(state) == ["c2"]
    assert await state.reserve("c2", "a1", 30)
    clock.advance(5)
    ringing = await state.remove_contact("c2")
    assert ringing is not None and ringing.outcome == "abandoned"
    assert (ringing.agent_id, ringing.agent_state) == ("a1", READY)
    freed = await state.get_agent("a1")
    assert freed is not None and freed.contact_id is None and freed.agent.idle_since == clock.now
    assert await state.remove_contact("c2") is None
    assert await state.contacts() == []
    await check_invariants(state)


async def test_hangup_after_answer_starts_wrap_up(state: RoutingState, clock: Clock) -> None:
    await state.put_agent(agent("a1", state=READY))
    await state.put_agent(agent("a2", "general", state=READY))
    await state.enqueue(contact("c1"))  # billing: 30 s wrap-up
    await state.enqueue(contact("g1", "general"))  # general: none
    for cid, aid in (("c1", "a1"), ("g1", "a2")):
        assert await state.reserve(cid, aid, 30)
        await state.confirm(cid)
    clock.advance(60)
    ended = await state.remove_contact("c1")
    assert ended is not None and ended.outcome == "ended" and ended.waited_s == 0
    assert ended.agent_state is AgentState.WRAP_UP
    wrap = await state.get_agent("a1")
    assert wrap is not None and wrap.wrap_up_until == pytest.approx(clock.now + 30, abs=1e-6)
    direct = await state.remove_contact("g1")
    assert direct is not None and direct.agent_state is READY
    clock.advance(29)
    assert (await state.sweep()).wrapped_up == ()
    clock.advance(1)
    assert (await state.sweep()).wrapped_up == ("a1",)
    ready = await state.get_agent("a1")
    assert ready is not None and ready.state is READY and ready.wrap_up_until is None
    await check_invariants(state)


async def test_agent_ends_wrap_up_early(state: RoutingState) -> None:
    await state.put_agent(agent("a1", state=READY))
    await state.enqueue(contact("c1"))
    assert await state.reserve("c1", "a1", 30)
    await state.confirm("c1")
    with pytest.raises(TransitionError, match="on_call: not now"):
        await state.set_agent_state("a1", NOT_READY, "break")
    await state.remove_contact("c1")
    view = await state.set_agent_state("a1", READY)
    assert view.state is READY and view.wrap_up_until is None
    assert (await state.sweep()).wrapped_up == ()


# --- overflow listing, heads, snapshot, the API list ---------------------------------------


async def test_overflowed_contact_is_listed_under_both_services(state: RoutingState) -> None:
    await state.put_agent(agent("g", "general", state=READY))
    await state.enqueue(contact("g-new", "general", entered_at=T0 + 5))
    await state.enqueue(contact("b1", entered_at=T0))
    view = await state.list_under("b1", "general")
    assert view.queues == ("billing", "general") and view.contact.service == "billing"
    assert await state.list_under("b1", "general") == view  # once
    assert await ids(state, "general") == ["b1", "g-new"]
    assert await state.reserve("b1", "g", 30)
    assert await ids(state, "general") == ["g-new"] and await ids(state) == []
    await state.release("b1")
    assert await ids(state, "general") == ["b1", "g-new"] and await ids(state) == ["b1"]
    with pytest.raises(StateError):
        await state.list_under("b1", "nowhere")
    with pytest.raises(NotFound):
        await state.list_under("zz", "general")
    await state.remove_contact("b1")
    assert await ids(state, "general") == ["g-new"]
    await check_invariants(state)


async def test_heads_feed_the_agent_driven_decision(state: RoutingState, clock: Clock) -> None:
    await state.put_agent(agent("a1", "billing", "tech", state=READY))
    await state.put_agent(agent("a2", "billing", state=READY))
    await state.enqueue(contact("c1", customer_id="k1"))
    assert await state.reserve("c1", "a2", 30)
    await state.confirm("c1")  # k1 was served by a2
    for i in range(5):
        await state.enqueue(contact(f"b{i}", entered_at=T0 + i, customer_id=f"k{i}"))
        await state.enqueue(contact(f"t{i}", "tech", entered_at=T0 + i))
    heads = await state.heads(["billing", "tech"], k=2)
    assert [c.id for c in heads.by_service["billing"]] == ["b0", "b1"]
    assert [c.id for c in heads.by_service["tech"]] == ["t0", "t1"]  # tech priority 1
    assert heads.affinity == {"k1": ("a2", clock.now)}
    assert len(heads.contacts()) == 4
    a1 = await state.get_agent("a1")
    assert a1 is not None
    decision = best_contact_for_agent(
        a1.agent, heads.contacts(), SERVICES, clock.now, affinity=heads.affinity
    )
    assert decision is not None and decision.contact_id == "t0"
    assert await state.reserve(decision.contact_id, "a1", 30)
    assert (await state.heads(["general"], 3)).by_service == {"general": []}
    assert (await state.heads(["billing"], 0)).by_service == {"billing": []}


async def test_snapshot_is_the_input_of_assign(state: RoutingState, clock: Clock) -> None:
    await state.put_agent(agent("a1", state=READY, billing=3))
    await state.put_agent(agent("a2", "billing", "tech", state=READY))
    await state.put_agent(agent("off"))
    await state.enqueue(contact("b1", entered_at=T0 - 5))
    await state.enqueue(contact("t1", "tech"))
    snap = await state.snapshot()
    assert sorted(a.id for a in snap.agents) == ["a1", "a2"]
    assert {name: [c.id for c in cs] for name, cs in snap.waiting.items()} == {
        "billing": ["b1"],
        "tech": ["t1"],
    }
    assert snap.taken_at == clock.now
    live = snap.live(SERVICES)
    assert (live["billing"].queue_length, live["billing"].ready_eligible) == (1, 2)
    decisions = assign(snap.contacts(), snap.agents, SERVICES, clock.now, live=live)
    assert {(d.contact_id, d.agent_id) for d in decisions} == {("t1", "a2"), ("b1", "a1")}
    for d in decisions:
        assert d.agent_id is not None and await state.reserve(d.contact_id, d.agent_id, 30)
    await check_invariants(state)


async def test_contacts_list_for_the_api(state: RoutingState, clock: Clock) -> None:
    await state.put_agent(agent("a1", state=READY))
    await state.enqueue(contact("w", entered_at=T0 - 12, priority=1))
    await state.enqueue(contact("x", entered_at=T0 - 30))
    assert await state.reserve("x", "a1", 30)
    clock.advance(4)
    await state.confirm("x")
    clock.advance(100)
    rows = [v.to_dict(clock.now) for v in await state.contacts()]
    assert [(r["id"], r["phase"], r["agent_id"], r["wait_s"]) for r in rows] == [
        ("x", "active", "a1", 34.0),
        ("w", "waiting", None, 116.0),
    ]
    assert rows[1]["service"] == "billing" and rows[1]["priority"] == 1
    [agent_row] = [v.to_dict(clock.now) for v in await state.agents()]
    assert agent_row["state"] == "on_call" and agent_row["contact_id"] == "x"


# --- concurrency ----------------------------------------------------------------------------


async def test_concurrent_reservations_never_double_assign(state: RoutingState) -> None:
    agents = [f"a{i}" for i in range(12)]
    contacts = [f"c{i}" for i in range(20)]
    for aid in agents:
        await state.put_agent(agent(aid, state=READY))
    for i, cid in enumerate(contacts):
        await state.enqueue(contact(cid, entered_at=T0 + i))
    rng = random.Random(4)
    attempts = [(rng.choice(contacts), rng.choice(agents)) for _ in range(400)]
    results = await asyncio.gather(*(state.reserve(c, a, 30) for c, a in attempts))
    made = [r for r in results if isinstance(r, Reservation)]
    assert len({r.contact_id for r in made}) == len(made)
    assert len({r.agent_id for r in made}) == len(made)
    assert len(made) == len({a for _, a in attempts})  # every agent tried got exactly one
    assert len({r.token for r in made}) == len(made)
    await check_invariants(state)


async def test_many_tasks_race_for_one_contact(state: RoutingState) -> None:
    for i in range(30):
        await state.put_agent(agent(f"a{i}", state=READY))
    await state.enqueue(contact("only"))
    results = await asyncio.gather(*(state.reserve("only", f"a{i}", 30) for i in range(30)))
    winners = [r for r in results if r]
    assert len(winners) == 1
    losers = {r.reason for r in results if isinstance(r, Refused)}
    assert losers == {RefuseReason.CONTACT_NOT_WAITING}
    await check_invariants(state)


async def test_agent_ready_returns_the_heads_of_their_services(
    state: RoutingState, clock: Clock
) -> None:
    await state.put_agent(agent("a1", "billing", "tech", state=NOT_READY))
    await state.enqueue(contact("k-served", customer_id="k1"))
    await state.put_agent(agent("a0", state=READY))
    assert await state.reserve("k-served", "a0", 30)
    await state.confirm("k-served")
    for i in range(3):
        await state.enqueue(contact(f"b{i}", entered_at=T0 + i, customer_id="k1"))
    await state.enqueue(contact("t0", "tech", excluded=frozenset({"a1"})))
    clock.advance(2)
    view, heads = await state.agent_ready("a1", 2)
    assert view.state is READY and view.agent.idle_since == clock.now and view.version == 2
    assert {n: [c.id for c in cs] for n, cs in heads.by_service.items()} == {
        "billing": ["b0", "b1"],
        "tech": ["t0"],
    }
    assert heads.by_service["tech"][0].excluded == {"a1"}
    assert heads.affinity == {"k1": ("a0", T0)}
    again, _ = await state.agent_ready("a1", 1)
    assert again.version == 2  # already ready: unchanged
    with pytest.raises(StaleVersion):
        await state.agent_ready("a1", 1, expect_version=1)
    with pytest.raises(TransitionError, match="on_call"):
        await state.agent_ready("a0", 1)
    with pytest.raises(NotFound):
        await state.agent_ready("ghost", 1)
    with pytest.raises(StateError, match="k must be at least 1"):
        await state.agent_ready("a1", 0)
