"""The tick and AMI changes decide per event (``routing.service.tick``): what time alone
changes (a relaxation time crossed, an offer expired, a wrap-up ended) and what an AMI
event changes (a missed offer, a caller gone while ringing, a device back) is decided for
the contacts and agents it touched, without a snapshot of the whole state; the leader's
whole round only every ``full_round_s``. Both stores."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from routing.core.model import AgentState, RelaxStep, Service
from routing.service import Router
from routing.service.tick import Touched, crossings
from routing.state import MemoryState, RedisState, RoutingState
from tests.test_routing_router import Clock, RecordingControl, agent, ami, hand_over

SERVICES = {  # no behind lift: a late caller does not turn the round on (levels tests do)
    "billing": Service(
        "billing",
        requires={"billing": 5},
        behind_lift=0,
        relax=(
            RelaxStep(after_s=30, set={"billing": 3}),
            RelaxStep(after_s=60, overflow_to="general"),
        ),
    ),
    "general": Service("general", requires={"general": 1}, behind_lift=0),
}


class Counting:
    """Counts whole snapshots the router reads."""

    def __init__(self, state: RoutingState) -> None:
        self.snapshots = 0
        real = state.snapshot

        async def snapshot() -> Any:
            self.snapshots += 1
            return await real()

        state.snapshot = snapshot  # type: ignore[method-assign]


@pytest.fixture(params=["memory", "redis"])
async def world(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Router, Any, Clock]]:
    clock, control = Clock(), RecordingControl()
    client = None
    if request.param == "memory":
        state: RoutingState = MemoryState(SERVICES, clock)
    else:
        client = aioredis.Redis(decode_responses=True)
        prefix = f"omnivox:test:{secrets.token_hex(4)}:"
        state = RedisState(client, SERVICES, prefix=prefix, clock=clock)
    router = Router(state, control=control, full_round_s=1e9)  # only the first tick's round
    counting = Counting(state)
    await router._tick()  # the first tick runs the whole round
    counting.snapshots = 0
    yield router, counting, clock
    if client is not None:
        await state.clear()  # type: ignore[attr-defined]
        await client.aclose()


async def phase_and_agent(router: Router, cid: str) -> tuple[str, str | None]:
    view = await router.state.get_contact(cid)
    assert view is not None
    return view.phase, view.agent_id


async def test_crossings_are_the_entry_times_whose_wait_passed_a_relaxation_time() -> None:
    got = crossings(SERVICES, 1000.0, 1000.5)
    assert got == [("billing", 970.0, 970.5), ("billing", 940.0, 940.5)]
    assert Touched(("c1",), ("a1",)) + Touched(("c1", "c2")) == Touched(("c1", "c2"), ("a1",))
    assert not Touched()


async def test_a_crossed_relaxation_time_is_decided_without_a_snapshot(world) -> None:
    router, counting, clock = world
    await router.add_agent(agent(1, {"billing": 3}))
    await router.set_state(1, "ready")
    await hand_over(router, "c1", "ch1")
    assert await phase_and_agent(router, "c1") == ("waiting", None)  # level 3 < 5
    clock.now += 29.9
    await router._tick()
    assert await phase_and_agent(router, "c1") == ("waiting", None)
    clock.now += 0.2  # 30.1 s: level 3 will do
    await router._tick()
    assert await phase_and_agent(router, "c1") == ("offered", "1")
    assert counting.snapshots == 0


async def test_an_overflow_crossed_is_offered_to_the_target_services_agent(world) -> None:
    router, counting, clock = world
    await router.add_agent(agent(2, {"general": 4}))
    await router.set_state(2, "ready")
    await hand_over(router, "c1", "ch1")
    clock.now += 59.5
    await router._tick()
    assert await phase_and_agent(router, "c1") == ("waiting", None)
    clock.now += 1
    await router._tick()
    assert await phase_and_agent(router, "c1") == ("offered", "2")
    assert counting.snapshots == 0


async def test_expired_offers_and_ended_wrap_ups_are_decided_on_the_tick(world) -> None:
    router, counting, clock = world
    for n in (1, 2):
        await router.add_agent(agent(n, {"billing": 7}))
    await router.set_state(1, "ready")
    await hand_over(router, "c1", "ch1")
    assert await phase_and_agent(router, "c1") == ("offered", "1")
    await router.set_state(2, "ready")  # nothing waits for agent 2 now
    clock.now += 46  # the offer (45 s) expired: agent 1 missed it
    await router._tick()
    assert await phase_and_agent(router, "c1") == ("offered", "2")
    view = await router.state.get_agent("1")
    assert view is not None and view.agent.state is AgentState.NOT_READY
    assert counting.snapshots == 0


async def test_ami_changes_decide_for_what_they_touched(world) -> None:
    router, counting, clock = world
    for n in (1, 2, 3):
        await router.add_agent(agent(n, {"billing": 6 + n}))
    await router.set_state(1, "ready")
    await router.set_state(2, "ready")
    await hand_over(router, "c1", "ch1")
    await hand_over(router, "c2", "ch2")
    assert await phase_and_agent(router, "c1") == ("offered", "1")
    assert await phase_and_agent(router, "c2") == ("offered", "2")
    await hand_over(router, "c3", "ch3")
    # agent 1 lets c1 ring out: c1 keeps its place, nobody is free
    missed = ami("OmnivoxAgentNoAnswer", Uniqueid="c1", Agent="PJSIP/1001", DialStatus="NOANSWER")
    await router.on_ami_event(missed)
    assert await phase_and_agent(router, "c1") == ("waiting", None)
    # c2's caller hangs up while agent 2 rings: agent 2 is free for the best waiting, c1
    await router.on_ami_event(ami("Hangup", Uniqueid="c2", Cause="16"))
    assert await phase_and_agent(router, "c1") == ("offered", "2")
    # agent 3 is ready but unreachable, then the device comes back: c3 is theirs
    await router.on_ami_event(ami("DeviceStateChange", Device="PJSIP/1003", State="UNAVAILABLE"))
    await router.set_state(3, "ready")
    assert await phase_and_agent(router, "c3") == ("waiting", None)
    await router.on_ami_event(ami("DeviceStateChange", Device="PJSIP/1003", State="NOT_INUSE"))
    assert await phase_and_agent(router, "c3") == ("offered", "3")
    assert counting.snapshots == 0


async def test_the_leader_still_runs_the_whole_round_every_full_round_s() -> None:
    clock = Clock()
    state = MemoryState(SERVICES, clock)
    router = Router(state, full_round_s=5.0)
    counting = Counting(state)
    await router.add_agent(agent(1, {"billing": 7}))
    await router.set_state(1, "ready")
    for _ in range(11):  # 0.5 s apart over 5 s: the first tick, then one 5 s later
        await router._tick()
        clock.now += 0.5
    assert counting.snapshots == 2


async def test_contacts_crossing_together_are_served_in_rank_order(world) -> None:
    router, counting, clock = world
    await router.add_agent(agent(1, {"billing": 3}))
    await router.set_state(1, "ready")
    await hand_over(router, "plain", "ch1")  # first in, but ...
    clock.now += 0.1
    await hand_over(router, "vip", "ch2", vip=True)  # ... a VIP ranks above
    clock.now += 29.85
    await router._tick()
    clock.now += 0.2  # both cross 30 s in this tick
    await router._tick()
    assert await phase_and_agent(router, "vip") == ("offered", "1")
    assert await phase_and_agent(router, "plain") == ("waiting", None)
    assert counting.snapshots == 0
