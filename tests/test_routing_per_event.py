"""Per-event decisions (``routing.service.per_event``) against the whole round: in a steady
state (no ready agent has an eligible waiting contact), one agent becoming ready or one
contact being queued is decided exactly as ``routing.core.assign`` over the whole snapshot
decides it (a property test on random services, contacts and agents, in memory and in the
real Redis), and the router's events go through it."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.core.decide import assign
from routing.core.model import Agent, AgentState, Contact, RelaxStep, Service
from routing.core.relax import RequirementCache, overflow_sources
from routing.service import Router
from routing.service.per_event import exact, for_agent, for_contact
from routing.state import MemoryState, RedisState, RoutingState
from tests.test_routing_router import Clock as RouterClock
from tests.test_routing_router import agent as record
from tests.test_routing_router import transfer
from tests.test_routing_state_decide import services as any_services
from tests.test_routing_state_support import REDIS_URL, T0, Clock, new_prefix

READY, NOT_READY = AgentState.READY, AgentState.NOT_READY
NAMES = ["s0", "s1", "s2"]
SKILLS = ["x", "y", "z", "lang_en", "lang_fr"]
skill_levels = st.dictionaries(st.sampled_from(SKILLS[:3]), st.integers(1, 6), max_size=1)
waits = st.one_of(st.sampled_from([0.0, 1.5, 10.0, 30.0, 120.0]), st.floats(0.0, 600.0))


@st.composite
def relax_steps(draw: Any, me: str) -> RelaxStep:
    """Time-only steps (live-state triggers make per-event decisions inexact: not used)."""
    return RelaxStep(
        after_s=draw(st.sampled_from([0.0, 15.0, 30.0, 120.0])),
        set=draw(st.dictionaries(st.sampled_from(SKILLS[:3]), st.integers(1, 3), max_size=1)),
        add=draw(st.sampled_from([{}, {"x": 1}, {"lang_{language}": 3}, {"y": 2, "z": 4}])),
        drop=frozenset(draw(st.lists(st.sampled_from(SKILLS[:3]), max_size=1))),
        overflow_to=draw(st.sampled_from([None, None, *[n for n in NAMES if n != me]])),
    )


def services() -> st.SearchStrategy[dict[str, Service]]:
    """Random services whose relaxation steps are time-only."""
    return any_services(relax_steps)


@st.composite
def contacts(draw: Any, prefix: str = "c", most: int = 15) -> list[Contact]:
    return [
        Contact(
            f"{prefix}{i}",
            draw(st.sampled_from(NAMES)),
            entered_at=T0 - draw(waits),
            customer_id=draw(st.sampled_from([None, "k1", "k2"])),
            vip=draw(st.booleans()),
            required=draw(skill_levels),
            priority=draw(st.sampled_from([-1, 0, 1, 2])),
            excluded=frozenset(draw(st.lists(st.sampled_from(["a0", "a1", "a2"]), max_size=1))),
            language=draw(st.sampled_from([None, "en", "fr"])),
        )
        for i in range(draw(st.integers(0, most)))
    ]


@st.composite
def agents(draw: Any) -> list[Agent]:
    return [
        Agent(
            f"a{i}",
            draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 10), min_size=1)),
            draw(st.sampled_from([READY, NOT_READY])),
            frozenset(draw(st.lists(st.sampled_from(NAMES), min_size=1, unique=True))),
            idle_since=T0 - draw(st.floats(0.0, 300.0)),
        )
        for i in range(draw(st.integers(1, 6)))
    ]


async def whole_round(
    state: RoutingState, cache: RequirementCache, risky: Collection[str] = ()
) -> list[tuple[str, str]]:
    """What ``assign`` over the whole snapshot decides now, as (contact, agent) pairs, with
    ``risky`` behind their service-level target (as ``Router.dispatch`` passes them)."""
    snapshot = await state.snapshot()
    decisions = assign(
        snapshot.contacts(),
        snapshot.agents,
        state.services,
        snapshot.taken_at,
        live=snapshot.live(state.services, sorted(risky)),
        affinity=snapshot.affinity,
        cache=cache,
    )
    return [(d.contact_id, str(d.agent_id)) for d in decisions]


async def steady(state: RoutingState, cache: RequirementCache) -> None:
    """Make the state steady: every ready agent ``assign`` would match goes not ready."""
    while pairs := await whole_round(state, cache):
        for _, agent_id in pairs:
            await state.set_agent_state(agent_id, NOT_READY, "break")


async def compare(
    state: RoutingState, population: list[Agent], queued: list[Contact], event: Any
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(what the whole round decides, what the per-event path reserved) after ``event``:
    ``("agent", i)`` makes agent ``i`` ready, ``("contact", c)`` queues ``c``."""
    cache = RequirementCache(state.services)
    for a in population:
        await state.put_agent(a)
    for c in queued:
        await state.enqueue(c)
    await steady(state, cache)
    kind, what = event
    if kind == "agent":
        view = await state.set_agent_state(population[what % len(population)].id, READY)
        expected = await whole_round(state, cache)
        offer = await for_agent(state, view.id, ttl_s=30.0, cache=cache)
    else:
        view = await state.enqueue(what)
        expected = await whole_round(state, cache)
        offer = await for_contact(state, view.id, ttl_s=30.0, cache=cache)
    got = [] if offer is None else [(offer.reservation.contact_id, offer.reservation.agent_id)]
    if offer is not None:
        trace = offer.decision.trace
        assert trace.candidates >= 1 and trace.agent_score is not None
    return expected, got


events = st.one_of(
    st.tuples(st.just("agent"), st.integers(0, 5)),
    st.tuples(st.just("contact"), contacts("new", 1).filter(bool).map(lambda cs: cs[0])),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(services(), agents(), contacts(), events)
def test_one_event_is_decided_as_the_whole_round_decides_it(
    config: dict[str, Service], population: list[Agent], queued: list[Contact], event: Any
) -> None:
    assert exact(config)
    state = MemoryState(config, clock=Clock())
    expected, got = asyncio.run(compare(state, population, queued, event))
    assert got == expected


async def over_redis(
    config: dict[str, Service], population: list[Agent], queued: list[Contact], event: Any
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    store = RedisState.from_url(REDIS_URL, config, prefix=new_prefix())
    store.clock = Clock()
    try:
        return await compare(store, population, queued, event)
    finally:
        await store.clear()
        await store.close()


@pytest.mark.redis
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(services(), agents(), contacts(), events)
def test_one_event_is_decided_as_the_whole_round_decides_it_in_redis(
    config: dict[str, Service], population: list[Agent], queued: list[Contact], event: Any
) -> None:
    expected, got = asyncio.run(over_redis(config, population, queued, event))
    assert got == expected


def test_live_state_triggers_keep_the_whole_round() -> None:
    timed = {
        "s0": Service("s0", relax=(RelaxStep(after_s=30, overflow_to="s1"),)),
        "s1": Service("s1"),
    }
    assert exact(timed)
    assert overflow_sources(timed, {"s1"}) == {"s0"} and overflow_sources(timed, {"s0"}) == set()
    live = {"s0": Service("s0", relax=(RelaxStep(queue_length_at_least=5, set={"x": 1}),))}
    assert not exact(live)


SERVICES = {
    "billing": Service(
        "billing", requires={"billing": 5}, relax=(RelaxStep(after_s=120, overflow_to="general"),)
    ),
    "general": Service("general", requires={"general": 1}),
}


async def test_an_overflowed_contact_goes_to_an_agent_of_the_target_when_they_get_ready() -> None:
    clock = RouterClock()
    router = Router(MemoryState(SERVICES, clock=clock))
    await router.add_agent(record(1, {"general": 3}))
    await router.queue_call(transfer("old") | {"service": "billing"})
    clock.now += 121  # overflowed to general; listed only under billing
    await router.queue_call(transfer("new") | {"service": "general"})
    await router.set_state(1, "ready")
    [view] = [v for v in await router.state.contacts() if v.phase == "offered"]
    assert (view.id, view.agent_id) == ("old", "1")
    assert view.meta["why"]["trace"]["target_service"] == "general"


async def test_a_queued_contact_is_offered_to_the_best_ready_agent_with_a_trace() -> None:
    clock = RouterClock()
    events: list[tuple[str, dict[str, Any]]] = []

    async def publish(topic: str, payload: dict[str, Any]) -> None:
        events.append((topic, payload))

    router = Router(MemoryState(SERVICES, clock=clock), publish=publish)
    for n, level in ((1, 6), (2, 9), (3, 4)):
        await router.add_agent(record(n, {"billing": level}))
        await router.set_state(n, "ready")
    await router.queue_call(transfer("c1") | {"service": "billing"})
    [offered] = [p for t, p in events if t == "routing.offered"]
    assert offered["agent"] == "1" and offered["decision_ms"] >= 0  # the closest fit
    trace = offered["why"]["trace"]
    assert trace["candidates"] == 3 and trace["runner_up"] == "2"
    assert [r["agent_id"] for r in trace["rejections"]] == ["3"]  # level 4 < 5
