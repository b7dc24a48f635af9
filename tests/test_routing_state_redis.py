"""RedisState beyond the shared contract: two instances on one Redis, restarts, clients that
do not decode replies, cleanup, and step-for-step agreement with MemoryState."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from routing.core.model import AgentState
from routing.state import (
    MemoryState,
    NotFound,
    RedisState,
    Reservation,
    RoutingState,
    StateError,
    TransitionError,
)
from tests.test_routing_state_support import (
    REDIS_URL,
    SERVICES,
    T0,
    Clock,
    agent,
    check_invariants,
    contact,
    drop_prefix,
    new_prefix,
    redis_client,
)

pytestmark = pytest.mark.redis
READY = AgentState.READY


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    name = new_prefix()
    try:
        yield name
    finally:
        await drop_prefix(name)


async def test_two_instances_racing_never_double_assign(prefix: str) -> None:
    """Two stores, each with its own connections (two router processes), reserve the same
    contacts for the same agents at once, round after round."""
    async with redis_client() as c1, redis_client() as c2:
        one = RedisState(c1, SERVICES, prefix=prefix)
        two = RedisState(c2, SERVICES, prefix=prefix)
        rng = random.Random(7)
        agents = [f"a{i}" for i in range(10)]
        made: list[Reservation] = []
        for round_no in range(5):
            for aid in agents:
                await one.put_agent(agent(aid, state=READY))
                await one.set_agent_state(aid, READY)
            cids = [f"r{round_no}-c{i}" for i in range(15)]
            for i, cid in enumerate(cids):
                await two.enqueue(contact(cid, entered_at=T0 + i))
            attempts = [(rng.choice(cids), rng.choice(agents)) for _ in range(300)]
            results = await asyncio.gather(
                *(
                    (one if i % 2 else two).reserve(cid, aid, 30)
                    for i, (cid, aid) in enumerate(attempts)
                )
            )
            won = [r for r in results if isinstance(r, Reservation)]
            assert len({r.contact_id for r in won}) == len(won)
            assert len({r.agent_id for r in won}) == len(won)
            assert len(won) == len({aid for _, aid in attempts})
            await check_invariants(one)
            for r in won:  # hang up, free every agent for the next round
                await (one if r.token % 2 else two).confirm(r.contact_id, token=r.token)
                assert await two.remove_contact(r.contact_id) is not None
            for cid in cids:
                await one.remove_contact(cid)
            made.extend(won)
        assert len({r.token for r in made}) == len(made)  # one sequence across instances


async def test_one_sweep_per_expiry_across_instances(prefix: str) -> None:
    clock = Clock()
    async with redis_client() as c1, redis_client() as c2:
        one = RedisState(c1, SERVICES, prefix=prefix, clock=clock)
        two = RedisState(c2, SERVICES, prefix=prefix, clock=clock)
        for i in range(20):
            await one.put_agent(agent(f"a{i}", state=READY))
            await one.enqueue(contact(f"c{i}", entered_at=T0 + i))
            assert await one.reserve(f"c{i}", f"a{i}", 5)
        clock.advance(6)
        sweeps = await asyncio.gather(*(s.sweep(limit=7) for s in (one, two, one, two)))
        released = [r.contact_id for s in sweeps for r in s.released]
        assert sorted(released) == sorted(f"c{i}" for i in range(20))
        assert [c.id for c in await two.waiting("billing")] == [f"c{i}" for i in range(20)]


async def test_state_survives_a_new_instance(prefix: str) -> None:
    clock = Clock()
    async with redis_client() as client:
        before = RedisState(client, SERVICES, prefix=prefix, clock=clock)
        await before.put_agent(agent("a1", state=READY))
        await before.put_agent(agent("a2", state=READY))
        await before.put_agent(agent("a3", "tech"))
        await before.set_agent_state("a3", AgentState.NOT_READY, "training")
        await before.enqueue(contact("c1", customer_id="k1"), {"channel": "PJSIP/in-1"})
        await before.enqueue(contact("c2", entered_at=T0 + 1.5))
        await before.enqueue(contact("c3", entered_at=T0 + 2))
        r1 = await before.reserve("c1", "a1", 30)
        assert isinstance(r1, Reservation)
        await before.confirm("c1", token=r1.token)
        r2 = await before.reserve("c2", "a2", 30)
        assert isinstance(r2, Reservation)
        agents, contacts = await before.agents(), await before.contacts()
    # the process restarts: a new client, a new store, nothing carried over in memory
    async with redis_client() as client:
        after = RedisState(client, SERVICES, prefix=prefix, clock=clock)
        assert await after.agents() == agents
        assert await after.contacts() == contacts
        assert await after.affinity(["k1"]) == {"k1": ("a1", clock.now)}
        assert [c.id for c in await after.waiting("billing")] == ["c3"]
        clock.advance(31)
        swept = await after.sweep()  # the reservation made before the restart still expires
        assert [(r.contact_id, r.agent_id) for r in swept.released] == [("c2", "a2")]
        assert [c.id for c in await after.waiting("billing")] == ["c2", "c3"]
        r3 = await after.reserve("c3", "a2", 30)
        assert not r3  # a2 missed c2: not ready now
        ended = await after.remove_contact("c1")
        assert ended is not None and ended.agent_state is AgentState.WRAP_UP
        await after.set_agent_state("a1", READY)
        r4 = await after.reserve("c2", "a1", 30)
        assert isinstance(r4, Reservation) and r4.token > r2.token
        await check_invariants(after)


async def test_client_without_decoded_replies(prefix: str) -> None:
    async with redis_client(decode=False) as client:
        state = RedisState(client, SERVICES, prefix=prefix)
        await state.put_agent(agent("a1", state=READY))
        await state.enqueue(contact("c1", customer_id="k"), {"note": "ü"})
        r = await state.reserve("c1", "a1", 30)
        assert isinstance(r, Reservation)
        await state.confirm("c1")
        view = await state.get_contact("c1")
        assert view is not None and view.meta == {"note": "ü"} and view.phase == "active"
        assert (await state.heads(["billing"], 5)).by_service["billing"] == []
        assert [a.id for a in await state.agents()] == ["a1"]
        assert (await state.affinity(["k"]))["k"][0] == "a1"
        await check_invariants(state)


async def test_errors_from_scripts_keep_their_kind(prefix: str) -> None:
    async with redis_client() as client:
        state = RedisState(client, SERVICES, prefix=prefix)
        with pytest.raises(NotFound, match="no agent ghost"):
            await state.set_presence("ghost", True)
        await state.enqueue(contact("c1"))
        with pytest.raises(TransitionError, match="contact c1 is already queued"):
            await state.enqueue(contact("c1"))
        with pytest.raises(StateError, match="unknown service"):
            await state.list_under("c1", "nope")


async def test_clear_removes_only_its_prefix(prefix: str) -> None:
    other = new_prefix()
    try:
        async with redis_client() as client:
            mine = RedisState(client, SERVICES, prefix=prefix)
            theirs = RedisState(client, SERVICES, prefix=other)
            await mine.put_agent(agent("a1", state=READY))
            await mine.enqueue(contact("c1"))
            await theirs.enqueue(contact("c1"))
            assert await mine.clear() > 0
            assert await mine.contacts() == [] and await mine.agents() == []
            assert [v.id for v in await theirs.contacts()] == ["c1"]
            assert await client.keys(prefix + "*") == []
    finally:
        await drop_prefix(other)


async def test_from_url_owns_and_closes_its_client(prefix: str) -> None:
    state = RedisState.from_url(REDIS_URL, SERVICES, prefix=prefix)
    await state.put_agent(agent("a1"))
    assert [v.id for v in await state.agents()] == ["a1"]
    await state.close()


# --- step for step with MemoryState ----------------------------------------------------------


def _comparable(result: object) -> object:
    """Results with the parts that legitimately differ (none yet) made equal."""
    if isinstance(result, list):
        return [_comparable(x) for x in result]
    if hasattr(result, "wrap_up_until") and result.wrap_up_until is not None:  # type: ignore[attr-defined]
        return replace(result, wrap_up_until=round(result.wrap_up_until, 6))  # type: ignore[arg-type,attr-defined]
    return result


async def _random_step(state: RoutingState, rng: random.Random, n: int) -> object:
    """One random operation; half the time aimed at targets that make it succeed (read from
    the state itself, which both stores must agree on)."""
    cid = f"c{rng.randrange(12)}"
    aid = f"a{rng.randrange(6)}"
    if rng.random() < 0.5:
        ready = [a.id for a in await state.ready_agents()]
        views = await state.contacts()
        waiting = [v.id for v in views if v.phase == "waiting"]
        offered = [v.id for v in views if v.phase == "offered"]
        aid = rng.choice(ready) if ready else aid
        cid = rng.choice(waiting + offered) if waiting or offered else cid
        if offered and rng.random() < 0.5:
            cid = rng.choice(offered)
    op = rng.choice([0, 1, 1, 1, 2, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10, 11, 12])
    try:
        match op:
            case 0:
                return await state.put_agent(
                    agent(
                        f"a{rng.randrange(6)}",
                        *rng.sample(sorted(SERVICES), 2),
                        state=rng.choice([READY, AgentState.OFFLINE]),
                        billing=rng.randint(1, 9),
                    )
                )
            case 1:
                return await state.set_agent_state(
                    f"a{rng.randrange(6)}",
                    rng.choice(["ready", "ready", "ready", "not_ready", "offline"]),
                    "brb",
                )
            case 2:
                return await state.enqueue(
                    contact(
                        f"c{rng.randrange(12)}",
                        rng.choice(sorted(SERVICES)),
                        entered_at=T0 + n,
                        priority=rng.randint(0, 2),
                        customer_id=rng.choice([None, "k1", "k2"]),
                    )
                )
            case 3 | 4 | 5:
                return await state.reserve(cid, aid, rng.choice([5.0, 50.0]))
            case 6:
                return await state.confirm(cid)
            case 7:
                return await state.release(cid)
            case 8:
                return await state.remove_contact(cid)
            case 9:
                return await state.sweep()
            case 10:
                return await state.set_presence(aid, rng.random() < 0.8)
            case 11:
                return await state.list_under(cid, rng.choice(sorted(SERVICES)))
            case _:
                return await state.agent_ready(aid, rng.randint(1, 3))
    except StateError as exc:
        return (type(exc).__name__, str(exc))


async def test_redis_and_memory_agree_step_for_step(prefix: str) -> None:
    clock = Clock()
    memory = MemoryState(SERVICES, clock=clock)
    async with redis_client() as client:
        shared = RedisState(client, SERVICES, prefix=prefix, clock=clock)
        rng_m, rng_r = random.Random(11), random.Random(11)
        for n in range(1000):
            clock.advance(1.25)
            got_m = await _random_step(memory, rng_m, n)
            got_r = await _random_step(shared, rng_r, n)
            assert _comparable(got_m) == _comparable(got_r), f"step {n}"
            if n % 50 == 0:
                await check_invariants(memory)
                await check_invariants(shared)
        assert _comparable(await memory.agents()) == _comparable(await shared.agents())
        assert await memory.contacts() == await shared.contacts()
        for name in SERVICES:
            assert await memory.waiting(name) == await shared.waiting(name)
        assert await memory.snapshot() == await shared.snapshot()
