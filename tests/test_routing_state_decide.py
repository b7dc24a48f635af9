"""Decide-and-reserve in one step (``RoutingState.ready_and_reserve``): the Redis store's Lua
script must choose exactly what ``routing.core.best_contact_for_agent`` chooses over the whole
waiting lists (a property test on random services, contacts and agents, against the real
Redis), and keep the store's contract (every store)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.core.decide import best_contact_for_agent
from routing.core.model import Agent, AgentState, Contact, RelaxStep, Service
from routing.core.relax import overflow_sources
from routing.core.service_level import risk_flags
from routing.state import RedisState, Reservation, RoutingState, StaleVersion, TransitionError
from tests.test_routing_state_support import (
    REDIS_URL,
    STORES,
    T0,
    Clock,
    agent,
    check_invariants,
    contact,
    new_prefix,
    open_store,
)

READY, NOT_READY = AgentState.READY, AgentState.NOT_READY
NAMES = ["s0", "s1", "s2"]
SKILLS = ["x", "y", "z", "lang_en", "lang_fr"]
levels = st.integers(1, 10)
skill_levels = st.dictionaries(st.sampled_from(SKILLS[:3]), st.integers(1, 6), max_size=1)


@st.composite
def relax_steps(draw: Any, me: str) -> RelaxStep:
    add = draw(st.sampled_from([{}, {"x": 1}, {"lang_{language}": 3}, {"y": 2, "z": 4}]))
    return RelaxStep(
        after_s=draw(st.sampled_from([None, 0.0, 15.0, 30.0, 120.0])),
        no_eligible_ready=draw(st.booleans()),
        queue_length_at_least=draw(st.sampled_from([None, None, 0, 5])),
        match=draw(st.sampled_from(["all", "any"])),
        set=draw(st.dictionaries(st.sampled_from(SKILLS[:3]), st.integers(1, 3), max_size=1)),
        add=add,
        drop=frozenset(draw(st.lists(st.sampled_from(SKILLS[:3]), max_size=1))),
        overflow_to=draw(st.sampled_from([None, None, *[n for n in NAMES if n != me]])),
    )


@st.composite
def services(draw: Any, steps: Any = relax_steps) -> dict[str, Service]:
    """Random services over NAMES, each with up to two relaxation steps drawn by ``steps``."""
    out = {}
    for name in NAMES:
        out[name] = Service(
            name,
            requires=draw(skill_levels),
            priority=draw(st.integers(0, 2)),
            sl_target_s=draw(st.sampled_from([20.0, 45.5, 300.0])),
            relax=tuple(draw(st.lists(steps(name), max_size=2))),
            priority_step_s=draw(st.sampled_from([60.0, 30.0, 1.0])),
            vip_lift=draw(st.sampled_from([0, 2])),
            sl_risk_window_s=draw(st.sampled_from([None, 10.0])),
            sl_risk_gain=draw(st.sampled_from([1.0, 0.5, 3.0])),
            behind_lift=draw(st.sampled_from([0, 1, 3])),
        )
    return out


waits = st.one_of(st.sampled_from([0.0, 1.5, 10.0, 30.0, 120.0]), st.floats(0.0, 600.0))


@st.composite
def contacts(draw: Any) -> list[tuple[Contact, list[str]]]:
    """Contacts with the other services each is also listed under (overflow)."""
    out = []
    for i in range(draw(st.integers(0, 15))):
        c = Contact(
            f"c{draw(st.integers(0, 30))}-{i}" if draw(st.booleans()) else f"c{i}",
            draw(st.sampled_from(NAMES)),
            entered_at=T0 - draw(waits),
            customer_id=draw(st.sampled_from([None, "k1", "k2"])),
            vip=draw(st.booleans()),
            required=draw(skill_levels),
            priority=draw(st.sampled_from([-1, 0, 1, 2])),
            excluded=frozenset(draw(st.lists(st.sampled_from(["a1", "a2"]), max_size=1))),
            language=draw(st.sampled_from([None, "en", "fr"])),
        )
        out.append((c, draw(st.lists(st.sampled_from(NAMES), max_size=1))))
    return out


@st.composite
def agents(draw: Any) -> Agent:
    return Agent(
        "a1",
        draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(3, 10), min_size=3)),
        READY,
        frozenset(draw(st.lists(st.sampled_from(NAMES), min_size=1, unique=True))),
    )


@dataclass(frozen=True)
class Case:
    """One random decision: services, queued contacts (with the other services each is
    also listed under), the agent, the heads read first, extra lists to read, a customer
    the agent served before, and the services behind their service level."""

    config: dict[str, Service]
    queued: list[tuple[Contact, list[str]]]
    me: Agent
    k: int
    extra: list[str]
    served: str | None
    risky: list[str]


cases = st.builds(
    Case,
    services(),
    contacts(),
    agents(),
    st.integers(1, 3),
    st.lists(st.sampled_from(NAMES), max_size=2),
    st.sampled_from([None, "k1"]),
    st.lists(st.sampled_from(NAMES), max_size=2),
)


async def lua_and_core(case: Case) -> tuple[dict[str, object] | None, dict[str, object] | None]:
    """The decision (with its trace) of the one-script path and of the core over the whole
    waiting lists of the agent's services, those overflowing to them and ``extra``."""
    config, me = case.config, case.me
    store = RedisState.from_url(REDIS_URL, config, prefix=new_prefix())
    store.clock = Clock()
    try:
        await store.put_agent(Agent(me.id, me.skills, NOT_READY, me.services))
        for c, also in case.queued:
            await store.enqueue(c)
            for name in also:
                await store.list_under(c.id, name)
        affinity = {}
        if case.served is not None:
            affinity[case.served] = (me.id, T0 - 100.0)
            value = f'["{me.id}", "{T0 - 100.0}"]'
            await store.client.hset(f"{store.prefix}aff", case.served, value)
        names = sorted({*me.services, *case.extra, *overflow_sources(config, me.services)})
        lists = [c for name in names for c in await store.waiting(name)]
        ready = replace(me, idle_since=T0)  # what the script makes of a not-ready agent
        live = risk_flags(case.risky)
        decision = best_contact_for_agent(ready, lists, config, T0, live=live, affinity=affinity)
        offer = await store.ready_and_offer(
            me.id, 30.0, lists=case.extra, k=case.k, max_k=1000, at_risk=case.risky
        )
        return (
            offer.decision.to_dict() if offer else None,
            decision.to_dict() if decision else None,
        )
    finally:
        await store.clear()
        await store.close()


@pytest.mark.redis
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases)
def test_lua_decides_and_explains_as_the_core(case: Case) -> None:
    """Same contact, same trace (step, score terms with the behind lift, affinity, rejected
    contacts and why)."""
    lua, core = asyncio.run(lua_and_core(case))
    assert lua == core


# --- the contract, every store --------------------------------------------------------------


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=STORES)
async def state(request: pytest.FixtureRequest, clock: Clock) -> AsyncIterator[RoutingState]:
    async with open_store(request.param, clock) as store:
        yield store


async def test_ready_and_reserve_takes_the_best_contact(state: RoutingState, clock: Clock) -> None:
    await state.put_agent(agent("a1", "billing", "tech"))
    await state.enqueue(contact("b-old", entered_at=T0 - 30))  # 30 s + 10 s risk
    await state.enqueue(contact("t-new", "tech", entered_at=T0))  # one level: 60 s
    reservation = await state.ready_and_reserve("a1", 20.0, expect_version=1)
    assert isinstance(reservation, Reservation)
    assert (reservation.contact_id, reservation.agent_id) == ("t-new", "a1")
    assert reservation.expires_at == clock.now + 20.0
    held = await state.get_agent("a1")
    assert held is not None and held.state is AgentState.RESERVED and held.version == 3
    assert held.agent.idle_since == clock.now and held.contact_id == "t-new"
    view = await state.get_contact("t-new")
    assert view is not None and view.phase == "offered" and view.token == reservation.token
    assert [c.id for c in await state.waiting("tech")] == []
    with pytest.raises(TransitionError):
        await state.ready_and_reserve("a1", 20.0)  # reserved: not now
    await check_invariants(state)


async def test_nothing_fits_leaves_the_agent_ready(state: RoutingState) -> None:
    await state.put_agent(agent("a1", "tech", tech=5))
    await state.enqueue(contact("b1"))  # billing: a1 is not a member
    assert await state.ready_and_reserve("a1", 20.0) is None
    view = await state.get_agent("a1")
    assert view is not None and view.state is READY and view.version == 2
    assert [a.id for a in await state.ready_agents("tech")] == ["a1"]
    await check_invariants(state)


async def test_fence_and_presence(state: RoutingState) -> None:
    await state.put_agent(agent("a1", "billing"))
    await state.enqueue(contact("b1"))
    with pytest.raises(StaleVersion):
        await state.ready_and_reserve("a1", 20.0, expect_version=7)
    await state.set_presence("a1", False)
    assert await state.ready_and_reserve("a1", 20.0) is None  # READY but cannot ring
    view = await state.get_agent("a1")
    assert view is not None and view.state is READY and not view.reachable
    assert [c.id for c in await state.waiting("billing")] == ["b1"]
    await check_invariants(state)


async def test_rang_out_agents_and_the_search_below_the_heads(state: RoutingState) -> None:
    await state.put_agent(agent("a1", "billing", billing=5))
    await state.enqueue(contact("missed", entered_at=T0 - 60, excluded=frozenset({"a1"})))
    for i in range(5):  # the next five need French, which a1 lacks
        await state.enqueue(contact(f"fr{i}", entered_at=T0 - 50 + i, required={"lang_fr": 3}))
    await state.enqueue(contact("plain", entered_at=T0))
    reservation = await state.ready_and_reserve("a1", 20.0, k=1)
    assert reservation is not None and reservation.contact_id == "plain"
    await check_invariants(state)


@pytest.mark.redis
async def test_the_configuration_is_written_again_after_a_clear(clock: Clock) -> None:
    async with open_store("redis-lane", clock) as state:
        assert isinstance(state, RedisState)
        await state.put_agent(agent("a1", "billing"))
        assert await state.ready_and_reserve("a1", 20.0) is None
        await state.clear()  # the configuration key goes too
        await state.put_agent(agent("a1", "billing"))
        await state.enqueue(contact("b1"))
        reservation = await state.ready_and_reserve("a1", 20.0)
        assert reservation is not None and reservation.contact_id == "b1"
