"""The router acts on service levels (``routing.service.levels``): a service that falls
behind its target (abandons, callers waiting past it) gets its ``sl_at_risk`` relaxation
steps and its ``behind_lift``, read on the tick; in memory and in the real Redis, where
every instance on the store sees the same counts."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.core.decide import assign
from routing.core.model import Agent, AgentState, Contact, RelaxStep, Service
from routing.core.relax import live_snapshot
from routing.service import Router
from routing.service.levels import ServiceLevels, per_event_exact
from routing.state import MemoryState, RedisState, RoutingState
from tests.test_routing_per_event import agents, contacts
from tests.test_routing_per_event import services as any_services
from tests.test_routing_router import Clock, agent, transfer
from tests.test_routing_state_support import T0, drop_prefix, redis_client

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

    async def router(self, client: Any = None) -> Router:
        if self.kind == "memory":
            assert not self.states, "memory: one instance"
            state: RoutingState = MemoryState(self.services, self.clock)
        else:
            state = RedisState(client, self.services, prefix=self.prefix, clock=self.clock)
        self.states.append(state)
        return Router(state)


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
        assert router._exact is not repairs_behind  # the lift needs the whole round
        await router.set_state(1, "ready")
        chosen = await offered(router)
        # s1 waited 10 s, r1 5 s; behind, r1 is one level (60 s) up
        assert chosen == ({"r1": "1"} if repairs_behind else {"s1": "1"})
        view = await router.state.get_contact(next(iter(chosen)))
        assert view is not None
        levels = view.meta["why"]["trace"]["contact_score"]["priority_levels"]
        assert levels == (1 if repairs_behind else 0)


def test_per_event_decisions_only_while_no_lift_is_in_force() -> None:
    assert per_event_exact(TWO, frozenset())
    assert not per_event_exact(TWO, frozenset({"sales"}))
    flat = {"sales": Service("sales", behind_lift=0)}
    assert per_event_exact(flat, frozenset({"sales", "gone"}))
    assert not per_event_exact(RELAXING, frozenset())  # an sl_at_risk trigger


lifts = st.fixed_dictionaries({n: st.sampled_from([0, 1, 2]) for n in ("s0", "s1", "s2")})


@settings(max_examples=300, deadline=None)
@given(any_services(), lifts, st.sets(st.sampled_from(["s0", "s1", "s2"])), agents(), contacts())
def test_while_per_event_is_allowed_the_at_risk_set_changes_no_decision(
    config: dict[str, Service],
    lift: dict[str, int],
    risky: set[str],
    population: list[Agent],
    queued: list[Contact],
) -> None:
    """Per-event decisions score without live state; the router takes them only while
    ``per_event_exact``, and then the whole round decides the same with the at-risk set as
    without it (so per-event == whole round still holds, test_routing_per_event.py)."""
    config = {n: replace(s, behind_lift=lift[n]) for n, s in config.items()}
    ready = [a for a in population if a.state is AgentState.READY]
    live = live_snapshot(queued, ready, config, risky)
    with_risk = assign(queued, ready, config, T0, live=live)
    without = assign(queued, ready, config, T0, live=live_snapshot(queued, ready, config))
    pairs = [(d.contact_id, d.agent_id) for d in with_risk]
    if per_event_exact(config, frozenset(risky)):
        assert pairs == [(d.contact_id, d.agent_id) for d in without]


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
