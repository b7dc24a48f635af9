"""The routing state contract, part 1 (agents, contacts, reservations), run against both
stores: MemoryState (embedded) and RedisState (real Redis on 127.0.0.1:6379, a fresh key
prefix per test). Part 2 is test_routing_state_lifecycle.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

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


# --- agents ---------------------------------------------------------------------------------


async def test_new_agent_starts_as_given_and_updates_keep_live_state(
    state: RoutingState, clock: Clock
) -> None:
    view = await state.put_agent(agent("a1", "billing", "tech", state=READY))
    assert (view.state, view.version, view.agent.idle_since) == (READY, 1, clock.now)
    assert view.contact_id is None and view.reachable
    clock.advance(5)
    updated = agent("a1", "tech", tech=9)
    view = await state.put_agent(updated)
    assert view.state is READY and view.agent.idle_since == T0  # live state kept
    assert dict(view.agent.skills) == {"tech": 9} and view.agent.services == {"tech"}
    assert view.version == 2
    assert [a.id for a in await state.ready_agents("tech")] == ["a1"]
    assert await state.ready_agents("billing") == []  # no longer a billing member
    assert (await state.get_agent("a1")) == view
    assert await state.get_agent("nobody") is None


async def test_bad_agents_are_refused_with_the_reason(state: RoutingState) -> None:
    with pytest.raises(StateError, match="unknown services"):
        await state.put_agent(agent("a1", "nowhere"))
    with pytest.raises(StateError, match="level must be an integer 1..10"):
        await state.put_agent(agent("a1", billing=11))
    with pytest.raises(StateError, match="cannot start reserved"):
        await state.put_agent(agent("a1", state=AgentState.RESERVED))
    with pytest.raises(StateError, match="non-empty id"):
        await state.put_agent(agent(""))
    assert await state.agents() == []


async def test_agent_state_changes_version_and_fence(state: RoutingState, clock: Clock) -> None:
    await state.put_agent(agent("a1"))
    clock.advance(1)
    ready = await state.set_agent_state("a1", "ready")
    assert ready.state is READY and ready.agent.idle_since == clock.now and ready.version == 2
    clock.advance(1)
    same = await state.set_agent_state("a1", READY)  # no change: idle time kept
    assert same == ready
    paused = await state.set_agent_state("a1", NOT_READY, "lunch", expect_version=2)
    assert (paused.agent.not_ready_reason, paused.version) == ("lunch", 3)
    assert paused.agent.idle_since == ready.agent.idle_since
    with pytest.raises(StaleVersion, match="version 3, not 2"):
        await state.set_agent_state("a1", READY, expect_version=2)
    with pytest.raises(StateError, match="set by the router"):
        await state.set_agent_state("a1", AgentState.ON_CALL)
    with pytest.raises(StateError, match="unknown agent state"):
        await state.set_agent_state("a1", "dancing")
    with pytest.raises(NotFound):
        await state.set_agent_state("ghost", READY)
    assert (await state.get_agent("a1")) == paused


async def test_presence_gates_offers_but_keeps_state(state: RoutingState) -> None:
    await state.put_agent(agent("a1", state=READY))
    await state.enqueue(contact("c1"))
    away = await state.set_presence("a1", False)
    assert away.state is READY and not away.reachable
    assert await state.ready_agents() == []
    refused = await state.reserve("c1", "a1", 30)
    assert isinstance(refused, Refused) and refused.reason is RefuseReason.AGENT_UNREACHABLE
    await state.set_presence("a1", True)
    assert [a.id for a in await state.ready_agents("billing")] == ["a1"]
    assert await state.reserve("c1", "a1", 30)


async def test_agents_by_endpoint_follow_puts_and_removals(state: RoutingState) -> None:
    desk = "PJSIP/1001"
    await state.put_agent(replace(agent("a1"), endpoint=desk))
    await state.put_agent(replace(agent("a2"), endpoint=desk))  # a shared phone
    await state.put_agent(replace(agent("a3"), endpoint="PJSIP/1003"))
    await state.put_agent(agent("a4"))  # no phone
    assert [v.id for v in await state.agents_at(desk)] == ["a1", "a2"]
    await state.put_agent(replace(agent("a2"), endpoint="PJSIP/1002"))  # moved desks
    assert [v.id for v in await state.agents_at(desk)] == ["a1"]
    assert [v.id for v in await state.agents_at("PJSIP/1002")] == ["a2"]
    await state.remove_agent("a1")
    assert await state.agents_at(desk) == []
    assert await state.agents_at("PJSIP/9999") == []


async def test_remove_agent(state: RoutingState) -> None:
    await state.put_agent(agent("a1", state=READY))
    await state.put_agent(agent("a2", state=READY))
    await state.enqueue(contact("c1"))
    assert await state.reserve("c1", "a1", 30)
    with pytest.raises(TransitionError, match="holds contact c1"):
        await state.remove_agent("a1")
    await state.remove_agent("a2")
    assert [v.id for v in await state.agents()] == ["a1"]
    assert await state.ready_agents() == []
    with pytest.raises(NotFound):
        await state.remove_agent("a2")


# --- contacts -------------------------------------------------------------------------------


async def test_waiting_lists_order_by_priority_then_entry(state: RoutingState) -> None:
    await state.enqueue(contact("old", entered_at=T0 - 30))
    await state.enqueue(contact("new", entered_at=T0))
    await state.enqueue(contact("urgent", entered_at=T0, priority=1))
    await state.enqueue(contact("vip", entered_at=T0 - 10, vip=True))  # vip_lift 2 levels
    await state.enqueue(contact("t1", "tech"))
    assert await ids(state) == ["vip", "urgent", "old", "new"]
    assert [c.id for c in await state.waiting("billing", limit=2)] == ["vip", "urgent"]
    assert await state.waiting("billing", limit=0) == []
    assert await ids(state, "tech") == ["t1"]
    assert await ids(state, "general") == []


async def test_enqueue_keeps_every_attribute(state: RoutingState) -> None:
    c = contact(
        "c1",
        customer_id="cust-9",
        vip=True,
        segment="gold",
        intent="invoice",
        required={"lang_fr": 4},
        priority=2,
        excluded=frozenset({"a9"}),
        language="fr",
        entered_at=T0 + 0.000001,
    )
    view = await state.enqueue(c, {"channel": "PJSIP/x-1", "journey_id": 7})
    assert view.contact == c and view.phase == "waiting" and view.queues == ("billing",)
    assert view.meta == {"channel": "PJSIP/x-1", "journey_id": 7}
    assert (await state.get_contact("c1")) == view
    assert (await state.waiting("billing")) == [c]
    updated = await state.update_meta("c1", {"held": True})
    assert updated.meta == {"channel": "PJSIP/x-1", "journey_id": 7, "held": True}
    assert await state.get_contact("nope") is None


async def test_bad_contacts_are_refused_and_nothing_is_lost(state: RoutingState) -> None:
    await state.enqueue(contact("c1"))
    with pytest.raises(TransitionError, match="already queued"):
        await state.enqueue(contact("c1", entered_at=T0 + 5))
    with pytest.raises(StateError, match="unknown service 'nowhere'"):
        await state.enqueue(contact("c2", "nowhere"))
    with pytest.raises(StateError, match="entered_at must be a finite number"):
        await state.enqueue(contact("c3", entered_at=float("nan")))
    with pytest.raises(StateError, match="control characters"):
        await state.enqueue(contact("c5", customer_id="k\n1"))
    with pytest.raises(StateError, match="control characters"):
        await state.enqueue(contact("c\t6"))
    with pytest.raises(StateError, match="not JSON-serialisable"):
        await state.enqueue(contact("c4"), {"x": object()})
    with pytest.raises(NotFound):
        await state.update_meta("c9", {"a": 1})
    assert [v.id for v in await state.contacts()] == ["c1"]
    assert (await state.get_contact("c1")).contact.entered_at == T0  # type: ignore[union-attr]


# --- reservations ---------------------------------------------------------------------------


async def test_reserve_confirm_and_affinity(state: RoutingState, clock: Clock) -> None:
    await state.put_agent(agent("a1", state=READY))
    await state.enqueue(contact("c1", customer_id="cust-1"))
    await state.enqueue(contact("c2", entered_at=T0 + 1))
    r = await state.reserve("c1", "a1", ttl_s=20)
    assert isinstance(r, Reservation)
    assert (r.contact_id, r.agent_id, r.reserved_at, r.expires_at) == ("c1", "a1", T0, T0 + 20)
    held = await state.get_agent("a1")
    assert held is not None and held.state is AgentState.RESERVED and held.contact_id == "c1"
    offered = await state.get_contact("c1")
    assert offered is not None and offered.phase == "offered" and offered.token == r.token
    assert await ids(state) == ["c2"]
    await check_invariants(state)
    clock.advance(3)
    done = await state.confirm("c1", token=r.token)
    assert done.view.phase == "active" and done.view.answered_at == clock.now
    assert done.seq > r.token
    on_call = await state.get_agent("a1")
    assert on_call is not None and on_call.state is AgentState.ON_CALL
    assert await state.affinity(["cust-1", "cust-2"]) == {"cust-1": ("a1", clock.now)}
    with pytest.raises(TransitionError, match="active, not offered"):
        await state.confirm("c1")
    with pytest.raises(NotFound):
        await state.confirm("c404")
    await check_invariants(state)


async def test_reserve_refusals(state: RoutingState) -> None:
    await state.put_agent(agent("a1", state=READY))
    await state.put_agent(agent("a2", state=READY))
    await state.put_agent(agent("off"))
    await state.enqueue(contact("c1"))
    await state.enqueue(contact("c2"))
    await state.enqueue(contact("rang", excluded=frozenset({"a2"})))

    async def reason(cid: str, aid: str) -> RefuseReason:
        result = await state.reserve(cid, aid, 30)
        assert isinstance(result, Refused) and not result
        return result.reason

    assert await reason("c1", "ghost") is RefuseReason.NO_AGENT
    assert await reason("ghost", "a1") is RefuseReason.NO_CONTACT
    assert await reason("c1", "off") is RefuseReason.AGENT_NOT_READY
    assert await reason("rang", "a2") is RefuseReason.RANG_OUT
    assert await state.reserve("c1", "a1", 30)
    assert await reason("c2", "a1") is RefuseReason.AGENT_BUSY  # one voice contact each
    assert await reason("c1", "a2") is RefuseReason.CONTACT_NOT_WAITING  # one agent each
    await check_invariants(state)


async def test_release_returns_contact_to_its_place(state: RoutingState, clock: Clock) -> None:
    await state.put_agent(agent("a1", state=READY))
    await state.enqueue(contact("before", entered_at=T0 - 10))
    await state.enqueue(contact("c1", entered_at=T0))
    await state.enqueue(contact("after", entered_at=T0 + 10))
    await state.enqueue(contact("high", entered_at=T0 + 20, priority=1))
    r = await state.reserve("c1", "a1", 30)
    assert isinstance(r, Reservation)
    await state.enqueue(contact("later", entered_at=T0 + 30))
    clock.advance(25)
    released = await state.release("c1", token=r.token)
    assert (released.contact_id, released.agent_id, released.reason) == ("c1", "a1", "missed")
    assert released.seq > r.token
    assert await ids(state) == ["high", "before", "c1", "after", "later"]
    back = await state.get_contact("c1")
    assert back is not None and back.phase == "waiting" and back.agent_id is None
    assert back.contact.entered_at == T0 and back.contact.excluded == {"a1"}
    missed = await state.get_agent("a1")
    assert missed is not None and missed.state is NOT_READY
    assert missed.agent.not_ready_reason == "missed" and missed.contact_id is None
    await state.set_agent_state("a1", READY)
    refused = await state.reserve("c1", "a1", 30)
    assert isinstance(refused, Refused) and refused.reason is RefuseReason.RANG_OUT
    with pytest.raises(TransitionError, match="waiting, not offered"):
        await state.release("c1")
    await check_invariants(state)


async def test_stale_token_cannot_act_on_a_newer_reservation(
    state: RoutingState, clock: Clock
) -> None:
    for aid in ("a1", "a2"):
        await state.put_agent(agent(aid, state=READY))
    await state.enqueue(contact("c1"))
    first = await state.reserve("c1", "a1", 10)
    assert isinstance(first, Reservation)
    clock.advance(11)
    assert [r.contact_id for r in (await state.sweep()).released] == ["c1"]
    second = await state.reserve("c1", "a2", 10)
    assert isinstance(second, Reservation) and second.token > first.token
    with pytest.raises(StaleVersion):
        await state.confirm("c1", token=first.token)
    with pytest.raises(StaleVersion):
        await state.release("c1", token=first.token)
    assert (await state.confirm("c1", token=second.token)).view.agent_id == "a2"


async def test_expired_reservations_return_by_sweep(state: RoutingState, clock: Clock) -> None:
    for aid in ("a1", "a2", "a3"):
        await state.put_agent(agent(aid, state=READY))
    for i, cid in enumerate(("c1", "c2", "c3")):
        await state.enqueue(contact(cid, entered_at=T0 + i))
    assert await state.reserve("c1", "a1", ttl_s=10)
    assert await state.reserve("c2", "a2", ttl_s=20)
    clock.advance(9.5)
    assert (await state.sweep()).released == ()
    clock.advance(0.5)  # c1's reservation expires exactly now
    swept = await state.sweep()
    assert [(r.contact_id, r.agent_id, r.reason) for r in swept.released] == [
        ("c1", "a1", "missed")
    ]
    assert await ids(state) == ["c1", "c3"]
    assert (await state.sweep()).released == ()  # handled once
    a1 = await state.get_agent("a1")
    assert a1 is not None and a1.state is NOT_READY and a1.agent.not_ready_reason == "missed"
    clock.advance(10)
    assert [r.contact_id for r in (await state.sweep(limit=5)).released] == ["c2"]
    assert await ids(state) == ["c1", "c2", "c3"]
    await check_invariants(state)


async def test_sweep_honours_its_limit(state: RoutingState, clock: Clock) -> None:
    for i in range(5):
        await state.put_agent(agent(f"a{i}", state=READY))
        await state.enqueue(contact(f"c{i}", entered_at=T0 + i))
        assert await state.reserve(f"c{i}", f"a{i}", ttl_s=1 + i)
    clock.advance(10)
    first = await state.sweep(limit=2)
    assert [r.contact_id for r in first.released] == ["c0", "c1"]
    rest = await state.sweep(limit=10)
    assert [r.contact_id for r in rest.released] == ["c2", "c3", "c4"]
