"""Decide-and-reserve (routing.state.offer) over both stores: the pure core chooses, the
store's atomic reserve arbitrates between concurrent deciders."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from routing.core.model import AgentState
from routing.core.trace import Decision, RejectReason
from routing.state import RoutingState
from routing.state.offer import Offer, offer_for_agent, offer_for_contact
from tests.test_routing_state_support import (
    STORES,
    T0,
    Clock,
    agent,
    check_invariants,
    contact,
    open_store,
)

READY = AgentState.READY


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=STORES)
async def state(request: pytest.FixtureRequest, clock: Clock) -> AsyncIterator[RoutingState]:
    async with open_store(request.param, clock) as store:
        yield store


async def test_ready_agent_gets_the_best_contact_of_their_services(state: RoutingState) -> None:
    view = await state.put_agent(agent("a1", "billing", "tech", state=READY))
    await state.enqueue(contact("b-old", entered_at=T0 - 30))  # 30 s + 10 s risk
    await state.enqueue(contact("t-new", "tech", entered_at=T0))  # one level: 60 s
    offer = await offer_for_agent(state, view.agent, ttl_s=20)
    assert isinstance(offer, Offer)
    assert (offer.reservation.contact_id, offer.reservation.agent_id) == ("t-new", "a1")
    assert offer.decision.trace.contact_score.terms["priority_levels"] == 1
    held = await state.get_agent("a1")
    assert held is not None and held.state is AgentState.RESERVED
    assert await offer_for_agent(state, view.agent, ttl_s=20) is None  # busy now


async def test_search_goes_deeper_when_the_heads_do_not_fit(state: RoutingState) -> None:
    view = await state.put_agent(agent("a1", state=READY, billing=5))
    for i in range(7):  # the oldest seven need French, which a1 lacks
        await state.enqueue(contact(f"fr{i}", entered_at=T0 + i, required={"lang_fr": 3}))
    await state.enqueue(contact("plain", entered_at=T0 + 100))
    offer = await offer_for_agent(state, view.agent, ttl_s=20, k=2)
    assert offer is not None and offer.reservation.contact_id == "plain"
    rejected = offer.decision.trace.rejected_by_reason
    assert rejected == {RejectReason.MISSING_SKILL: 7}
    assert await offer_for_agent(state, view.agent, ttl_s=20, k=2, max_k=4) is None


async def test_concurrent_agents_each_get_a_different_contact(state: RoutingState) -> None:
    agents = [(await state.put_agent(agent(f"a{i}", state=READY))).agent for i in range(6)]
    for i in range(10):
        await state.enqueue(contact(f"c{i}", entered_at=T0 + i))
    offers = await asyncio.gather(*(offer_for_agent(state, a, ttl_s=20) for a in agents))
    assert all(isinstance(o, Offer) for o in offers)
    taken = sorted(o.reservation.contact_id for o in offers if o is not None)
    assert taken == [f"c{i}" for i in range(6)]  # the six best, once each
    await check_invariants(state)


async def test_a_contact_taken_meanwhile_is_skipped(state: RoutingState) -> None:
    for i in range(3):
        await state.enqueue(contact(f"c{i}", entered_at=T0 + i))
    await state.put_agent(agent("other", state=READY))
    view, stale = await state.agent_ready(  # read before another router reserves c0, c1
        (await state.put_agent(agent("a1"))).id, 20
    )
    assert [c.id for c in stale.contacts()] == ["c0", "c1", "c2"]
    assert await state.reserve("c0", "other", 20)
    await state.put_agent(agent("third", state=READY))
    assert await state.reserve("c1", "third", 20)
    offer = await offer_for_agent(state, view.agent, ttl_s=20, heads=stale)
    assert offer is not None and offer.reservation.contact_id == "c2" and offer.attempts == 3
    await check_invariants(state)


async def test_contact_driven_offer_prefers_the_last_agent(
    state: RoutingState, clock: Clock
) -> None:
    await state.put_agent(agent("long-idle", state=READY))
    clock.advance(5)
    await state.put_agent(agent("served-before", state=READY))
    await state.enqueue(contact("first", customer_id="k1"))
    assert await state.reserve("first", "served-before", 20)
    await state.confirm("first")
    await state.remove_contact("first")
    await state.set_agent_state("served-before", READY)  # ends wrap-up: idle for 0 s
    await state.enqueue(contact("again", customer_id="k1"))
    offer = await offer_for_contact(state, "again", ttl_s=20)
    assert isinstance(offer, Offer) and offer.reservation.agent_id == "served-before"
    assert offer.decision.trace.agent_score is not None
    assert offer.decision.trace.agent_score.terms["affinity"] == 1.0
    assert await offer_for_contact(state, "again", ttl_s=20) is None  # already offered
    assert await offer_for_contact(state, "ghost", ttl_s=20) is None


async def test_contact_driven_offer_explains_why_nobody(state: RoutingState) -> None:
    await state.put_agent(agent("low", state=READY, billing=2))
    await state.enqueue(contact("c1"))
    result = await offer_for_contact(state, "c1", ttl_s=20)
    assert isinstance(result, Decision) and result.agent_id is None
    [rejection] = result.trace.rejections
    assert (rejection.agent_id, rejection.reason) == ("low", RejectReason.LEVEL_TOO_LOW)
    view = await state.get_contact("c1")
    assert view is not None and view.phase == "waiting"


async def test_contact_driven_offer_follows_overflow(state: RoutingState, clock: Clock) -> None:
    await state.put_agent(agent("generalist", "general", state=READY, general=1))
    await state.enqueue(contact("b1", entered_at=T0))
    assert isinstance(await offer_for_contact(state, "b1", ttl_s=20), Decision)
    clock.advance(121)  # billing overflows to general after 120 s
    offer = await offer_for_contact(state, "b1", ttl_s=20)
    assert isinstance(offer, Offer) and offer.reservation.agent_id == "generalist"
    assert offer.decision.trace.target_service == "general"
