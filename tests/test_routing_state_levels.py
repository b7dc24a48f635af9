"""The routing state's service-level counts (``RoutingState.service_levels``), run against
both stores: outcomes recorded once by the transitions that settle a contact, contacts
waiting past the target, the rolling window; and in Redis, shared and bounded keys."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from routing.core.model import AgentState
from routing.core.service_level import Tally
from routing.state import RedisState, RoutingState
from tests.test_routing_state_support import (
    SERVICES,
    STORES,
    T0,
    Clock,
    agent,
    contact,
    drop_prefix,
    new_prefix,
    open_store,
    redis_client,
)

READY = AgentState.READY
NONE = Tally()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=STORES)
async def state(request: pytest.FixtureRequest, clock: Clock) -> AsyncIterator[RoutingState]:
    async with open_store(request.param, clock) as store:
        yield store


async def answer(state: RoutingState, cid: str, agent_id: str) -> None:
    assert await state.reserve(cid, agent_id, 30)
    await state.confirm(cid)


async def test_no_outcome_and_nobody_late_counts_nothing(state: RoutingState) -> None:
    await state.enqueue(contact("c1"))
    assert await state.service_levels() == dict.fromkeys(SERVICES, NONE)


async def test_answers_and_abandons_count_once_each(state: RoutingState, clock: Clock) -> None:
    for n in (1, 2):
        await state.put_agent(agent(f"a{n}", "billing", state=READY))
    await state.enqueue(contact("fast"))
    await state.enqueue(contact("slow"))
    await state.enqueue(contact("gone"))
    await state.enqueue(contact("rung", "tech"))
    clock.advance(20)  # the target: "fast" makes it
    await answer(state, "fast", "a1")
    clock.advance(5)
    await answer(state, "slow", "a2")  # 25 s: missed
    removed = await state.remove_contact("gone")  # abandoned while waiting
    assert removed is not None and removed.outcome == "abandoned"
    await state.put_agent(agent("t1", "tech", state=READY))
    assert await state.reserve("rung", "t1", 30)
    await state.remove_contact("rung")  # abandoned while ringing
    await state.remove_contact("fast")  # ended after the answer: nothing more
    await state.remove_contact("slow")
    levels = await state.service_levels()
    assert levels["billing"] == Tally(met=1, missed=2) and levels["tech"] == Tally(missed=1)
    assert levels["general"] == NONE
    assert await state.remove_contact("gone") is None


async def test_contacts_waiting_past_the_target_count_as_missed_until_settled(
    state: RoutingState, clock: Clock
) -> None:
    await state.enqueue(contact("old", entered_at=T0 - 30))
    await state.enqueue(contact("edge", entered_at=T0 - 20))  # exactly the target: not late
    await state.enqueue(contact("new"))
    await state.list_under("old", "general")  # overflowed: still billing's contact
    assert (await state.service_levels())["billing"] == Tally(late=1)
    assert (await state.service_levels())["general"] == NONE
    await state.put_agent(agent("a1", "billing", state=READY))
    assert await state.reserve("old", "a1", 30)
    assert (await state.service_levels())["billing"] == Tally(late=1)  # ringing: still late
    await state.release("old")  # rung out: waiting again
    clock.advance(1)
    assert (await state.service_levels())["billing"] == Tally(late=2)
    await state.remove_contact("old")
    assert (await state.service_levels())["billing"] == Tally(missed=1, late=1)


async def test_outcomes_leave_the_rolling_window(state: RoutingState, clock: Clock) -> None:
    await state.put_agent(agent("a1", "billing", state=READY))
    await state.enqueue(contact("c1"))
    await answer(state, "c1", "a1")
    clock.advance(900)  # billing's window (the default)
    assert (await state.service_levels())["billing"] == Tally(met=1)
    clock.advance(0.5)
    assert (await state.service_levels())["billing"] == NONE


@pytest.mark.redis
async def test_redis_counts_are_shared_bounded_and_kept_by_the_transitions() -> None:
    prefix, clock = new_prefix(), Clock()
    async with redis_client() as client:
        one = RedisState(client, SERVICES, prefix=prefix, clock=clock)
        two = RedisState(client, SERVICES, prefix=prefix, clock=clock)
        try:
            await one.enqueue(contact("c1", entered_at=T0 - 60))
            assert await client.zscore(f"{prefix}pend:billing", "c1") == T0 - 60
            assert (await two.service_levels())["billing"] == Tally(late=1)
            await two.remove_contact("c1")  # the same script takes it off pending
            assert await client.zscore(f"{prefix}pend:billing", "c1") is None
            assert (await one.service_levels())["billing"] == Tally(missed=1)
            ttl = await client.pttl(f"{prefix}slno:billing")
            assert 900_000 < ttl <= 901_000  # the window, and a second
        finally:
            await drop_prefix(prefix)


async def test_entered_between_lists_contacts_not_answered_by_entry(state: RoutingState) -> None:
    await state.enqueue(contact("a", entered_at=T0 - 40))
    await state.enqueue(contact("b", entered_at=T0 - 30))
    await state.enqueue(contact("c", entered_at=T0 - 10))
    await state.enqueue(contact("t", "tech", entered_at=T0 - 30))
    await state.list_under("a", "tech")  # listed elsewhere: still billing's
    assert await state.entered_between("billing", T0 - 40, T0 - 10) == ["b", "c"]  # (after, upto]
    assert await state.entered_between("tech", T0 - 60, T0) == ["t"]
    await state.put_agent(agent("a1", "billing", state=READY))
    assert await state.reserve("b", "a1", 30)
    assert await state.entered_between("billing", T0 - 60, T0) == ["a", "b", "c"]  # ringing
    await state.confirm("b")
    await state.remove_contact("a")
    assert await state.entered_between("billing", T0 - 60, T0) == ["c"]
