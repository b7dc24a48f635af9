"""The router acts on service levels (``routing.service.levels``): a service that falls
behind its target (abandons, callers waiting past it) gets its ``sl_at_risk`` relaxation
steps and its ``behind_lift``, read on the tick; in memory and in the real Redis, where
every instance on the store sees the same counts."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.core.model import Agent, AgentState, Contact, RelaxStep, Service
from routing.core.relax import RequirementCache
from routing.service import Router
from routing.service.levels import ServiceLevels
from routing.service.per_event import for_agent, for_contact
from routing.state import MemoryState, RedisState, RoutingState
from tests.test_routing_per_event import agents, contacts, events, whole_round
from tests.test_routing_per_event import services as any_services
from tests.test_routing_router import Clock, agent, transfer
from tests.test_routing_state_support import REDIS_URL, drop_prefix, new_prefix, redis_client
from tests.test_routing_state_support import Clock as StateClock

STORES = ["memory", pytest.param("redis", marks=pytest.mark.redis)]

# billing needs level 5, or 3 while the service is behind; no behind lift
RELAXING = {
    "billing": Service(
        "billing",
        requires={"billing": 5},
        behind_lift=0,
        relax=(RelaxStep(sl_at_risk=True, set={"billing": 3}),),
    ),
}
# two services an agent of both serves; a behind service's contacts go one level up
TWO = {
    "sales": Service("sales", requires={"x": 1}),
    "repairs": Service("repairs", requires={"x": 1}),
}


class Routers:
    """Routers over one store of a kind, on one clock."""

    def __init__(self, kind: str, services: Mapping[str, Service]) -> None:
        self.kind, self.services, self.clock = kind, services, Clock()
        self.prefix = f"omnivox:test:{secrets.token_hex(6)}:"
        self.states: list[RoutingState] = []

    async def router(self, client: Any = None, publish: Any = None) -> Router:
        if self.kind == "memory":
            assert not self.states, "memory: one instance"
            state: RoutingState = MemoryState(self.services, self.clock)
        else:
            state = RedisState(client, self.services, prefix=self.prefix, clock=self.clock)
        self.states.append(state)
        return Router(state, publish=publish)


@asynccontextmanager
async def store_client(made: Routers) -> AsyncIterator[Any]:
    """A Redis client for a Redis kind (its prefix dropped afterwards), None in memory."""
    if made.kind == "memory":
        yield None
        return
    async with redis_client() as client:
        try:
            yield client
        finally:
            await drop_prefix(made.prefix)


@pytest.fixture(params=STORES)
async def routers(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Routers, Any]]:
    made = Routers(request.param, RELAXING)
    async with store_client(made) as client:
        yield made, client


async def offered(router: Router) -> dict[str, str | None]:
    return {v.id: v.agent_id for v in await router.state.contacts() if v.phase == "offered"}


async def test_a_service_behind_target_lets_its_relaxation_step_fire(routers) -> None:
    made, client = routers
    router = await made.router(client)
    await router.add_agent(agent(1, {"billing": 3}))
    await router.set_state(1, "ready")
    await router.queue_call(transfer("c0"))
    await router.end_contact("c0")  # the caller hung up before an answer: a miss
    await router.queue_call(transfer("c1"))
    assert await offered(router) == {}  # level 3 < 5, and nobody has read the levels yet
    await router._tick()
    assert router._levels.at_risk == {"billing"}
    assert await offered(router) == {"c1": "1"}
    view = await router.state.get_contact("c1")
    assert view is not None
    trace = view.meta["why"]["trace"]
    assert (trace["step_index"], trace["step_reasons"]) == (0, ["service level at risk"])


async def test_callers_waiting_past_the_target_put_a_service_behind(routers) -> None:
    made, client = routers
    router = await made.router(client)
    await router.queue_call(transfer("c1"))
    await router.add_agent(agent(1, {"billing": 3}))
    await router.set_state(1, "ready")
    await router._tick()
    assert await offered(router) == {}  # nothing counted yet: not behind
    made.clock.now += 20.5  # c1 waited past billing's 20 s target
    await router._tick()
    assert await offered(router) == {"c1": "1"}


@pytest.mark.redis
async def test_every_instance_on_a_redis_sees_the_outcomes_of_the_others() -> None:
    async with redis_client() as client:
        made = Routers("redis", RELAXING)
        try:
            one, two = await made.router(client), await made.router(client)
            await one.queue_call(transfer("c0"))
            await one.end_contact("c0")
            await two._tick()
            assert two._levels.at_risk == {"billing"}
            assert dict(two._levels.tallies)["billing"].missed == 1
        finally:
            await drop_prefix(made.prefix)


@pytest.mark.parametrize("kind", STORES)
@pytest.mark.parametrize("repairs_behind", [False, True])
async def test_a_behind_services_contacts_go_first_for_an_agent_of_both(
    kind: str, repairs_behind: bool
) -> None:
    made = Routers(kind, TWO)
    async with store_client(made) as client:
        router = await made.router(client)
        assert router._exact  # no live-state trigger: per-event decisions
        await router.add_agent(agent(1, {"x": 5, "sales": 1, "repairs": 1}))
        await router.queue_call(transfer("s1", "sales"))
        made.clock.now += 5
        await router.queue_call(transfer("r0", "repairs"))
        if repairs_behind:
            await router.end_contact("r0")  # abandoned: repairs at 0 %
        await router.queue_call(transfer("r1", "repairs"))
        made.clock.now += 5
        await router._tick()
        assert router._exact  # decided per event, with the at-risk set
        await router.set_state(1, "ready")
        chosen = await offered(router)
        # s1 waited 10 s, r1 5 s; behind, r1 is one level (60 s) up
        assert chosen == ({"r1": "1"} if repairs_behind else {"s1": "1"})
        view = await router.state.get_contact(next(iter(chosen)))
        assert view is not None
        levels = view.meta["why"]["trace"]["contact_score"]["priority_levels"]
        assert levels == (1 if repairs_behind else 0)


lifts = st.fixed_dictionaries({n: st.sampled_from([0, 1, 2]) for n in ("s0", "s1", "s2")})
risky_sets = st.sets(st.sampled_from(["s0", "s1", "s2"]))
Pairs = list[tuple[str, str]]


async def compare_at_risk(
    state: RoutingState, population: list[Agent], queued: list[Contact], event: Any, risky: set[str]
) -> tuple[Pairs, Pairs]:
    """(whole round, per-event reservation) after ``event`` from a steady state, both with
    ``risky`` behind target (``test_routing_per_event.compare`` with an at-risk set)."""
    cache = RequirementCache(state.services)
    for a in population:
        await state.put_agent(a)
    for c in queued:
        await state.enqueue(c)
    while pairs := await whole_round(state, cache, risky):
        for _, agent_id in pairs:
            await state.set_agent_state(agent_id, AgentState.NOT_READY, "break")
    kind, what = event
    if kind == "agent":
        view = await state.set_agent_state(population[what % len(population)].id, "ready")
        expected = await whole_round(state, cache, risky)
        offer = await for_agent(state, view.id, ttl_s=30.0, cache=cache, at_risk=risky)
    else:
        view = await state.enqueue(what)
        expected = await whole_round(state, cache, risky)
        offer = await for_contact(state, view.id, ttl_s=30.0, cache=cache, at_risk=risky)
    got = [] if offer is None else [(offer.reservation.contact_id, offer.reservation.agent_id)]
    return expected, got


def lifted(config: dict[str, Service], lift: dict[str, int]) -> dict[str, Service]:
    return {n: replace(s, behind_lift=lift[n]) for n, s in config.items()}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_services(), lifts, risky_sets, agents(), contacts(), events)
def test_per_event_decides_as_the_whole_round_with_services_behind(
    config: dict[str, Service],
    lift: dict[str, int],
    risky: set[str],
    population: list[Agent],
    queued: list[Contact],
    event: Any,
) -> None:
    """The router passes its at-risk set to both paths; in a steady state one event is
    decided per event as the whole round decides it (behind lifts included)."""
    state = MemoryState(lifted(config, lift), clock=StateClock())
    expected, got = asyncio.run(compare_at_risk(state, population, queued, event, risky))
    assert got == expected


async def over_redis_at_risk(config: dict[str, Service], *args: Any) -> tuple[Pairs, Pairs]:
    store = RedisState.from_url(REDIS_URL, config, prefix=new_prefix())
    store.clock = StateClock()
    try:
        return await compare_at_risk(store, *args)
    finally:
        await store.clear()
        await store.close()


@pytest.mark.redis
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_services(), lifts, risky_sets, agents(), contacts(), events)
def test_per_event_decides_as_the_whole_round_with_services_behind_in_redis(
    config: dict[str, Service],
    lift: dict[str, int],
    risky: set[str],
    population: list[Agent],
    queued: list[Contact],
    event: Any,
) -> None:
    args = (population, queued, event, risky)
    expected, got = asyncio.run(over_redis_at_risk(lifted(config, lift), *args))
    assert got == expected


async def test_levels_are_read_at_most_every_second_and_kept_when_a_read_fails() -> None:
    clock = Clock()
    state = MemoryState(RELAXING, clock)
    levels = ServiceLevels(state)
    assert await levels.refresh() == frozenset()
    await state.enqueue(Contact("c0", "billing", entered_at=clock.now))
    await state.remove_contact("c0")
    clock.now += 0.5
    assert await levels.refresh() == frozenset()  # read 0.5 s ago: not again
    clock.now += 0.5
    assert await levels.refresh() == {"billing"}

    async def broken() -> dict[str, Any]:
        raise ConnectionError("redis went away")

    state.service_levels = broken  # type: ignore[method-assign]
    clock.now += 5
    assert await levels.refresh() == {"billing"}  # the last set stays


async def test_a_change_of_the_services_behind_is_published(routers) -> None:
    made, client = routers
    events: list[tuple[str, dict[str, Any]]] = []

    async def publish(topic: str, payload: Any) -> None:
        events.append((topic, dict(payload)))

    router = await made.router(client, publish)
    await router.queue_call(transfer("c0"))
    await router._tick()  # nobody behind yet: nothing to say
    assert [p for t, p in events if t == "routing.levels"] == []
    made.clock.now += 25  # c0 waits past billing's 20 s target
    await router._tick()
    assert [p for t, p in events if t == "routing.levels"] == [{"at_risk": ["billing"]}]
    made.clock.now += 2  # read again (at most every second), still behind: not again
    await router._tick()
    assert len([t for t, _ in events if t == "routing.levels"]) == 1
