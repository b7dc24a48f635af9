"""Shared pieces of the routing-state tests (no tests here): a settable clock, services, a
Redis prefix per test, and an invariant check that reads the state back through the API."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import redis.asyncio as aioredis

from routing.core.model import Agent, AgentState, Contact, RelaxStep, Service
from routing.state import MemoryState, RedisState, RoutingState
from routing.state.lane import ScriptLane

REDIS_URL = "redis://127.0.0.1:6379/0"
T0 = 1_700_000_000.123456


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


SERVICES = {
    "billing": Service(
        "billing",
        requires={"billing": 3},
        wrap_up_s=30.0,
        relax=(RelaxStep(after_s=120.0, overflow_to="general"),),
    ),
    "general": Service("general", wrap_up_s=0.0),
    "tech": Service("tech", requires={"tech": 1}, priority=1, wrap_up_s=10.0),
}


def agent(aid: str, *services: str, state: AgentState = AgentState.OFFLINE, **skills: int):
    skills = skills or {"billing": 5, "tech": 5}
    return Agent(aid, skills, state=state, services=frozenset(services or ("billing",)))


def contact(cid: str, service: str = "billing", entered_at: float = T0, **kw) -> Contact:
    return Contact(cid, service, entered_at=entered_at, **kw)


def new_prefix() -> str:
    return f"omnivox:test:{secrets.token_hex(6)}:"


@asynccontextmanager
async def redis_client(decode: bool = True) -> AsyncIterator[aioredis.Redis]:
    pool = aioredis.BlockingConnectionPool(
        host="127.0.0.1", port=6379, decode_responses=decode, max_connections=32, timeout=10
    )
    client = aioredis.Redis.from_pool(pool)
    try:
        yield client
    finally:
        await client.aclose()


async def drop_prefix(prefix: str) -> None:
    async with redis_client() as client:
        await RedisState(client, SERVICES, prefix=prefix).clear()


async def check_invariants(state: RoutingState) -> None:
    """Every invariant of the contract, read back through the public API."""
    agents = {v.id: v for v in await state.agents()}
    contacts = {v.id: v for v in await state.contacts()}
    holders: dict[str, str] = {}
    for view in agents.values():
        if view.contact_id is not None:
            assert view.state in (AgentState.RESERVED, AgentState.ON_CALL), view
            assert view.contact_id not in holders, f"{view.contact_id} held twice"
            holders[view.contact_id] = view.id
        else:
            assert view.state not in (AgentState.RESERVED, AgentState.ON_CALL), view
    busy_agents: dict[str, str] = {}
    for view in contacts.values():
        if view.phase == "waiting":
            assert view.agent_id is None and view.id not in holders
        else:
            assert view.agent_id is not None
            assert view.agent_id not in busy_agents, f"agent {view.agent_id} has two contacts"
            busy_agents[view.agent_id] = view.id
            if view.agent_id in agents:
                assert holders.get(view.id) == view.agent_id
    for name in state.services:
        listed = [c.id for c in await state.waiting(name)]
        assert len(listed) == len(set(listed))
        expected = {c for c, v in contacts.items() if v.phase == "waiting" and name in v.queues}
        assert set(listed) == expected, name
    ready = {a.id for a in await state.ready_agents()}
    offerable = {a for a, v in agents.items() if v.state is AgentState.READY and v.reachable}
    assert ready == offerable


STORES = [
    "memory",
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("redis-lane", marks=pytest.mark.redis),
]
"""Parameters for a ``state`` fixture: each store in turn ("redis": scripts through
redis-py, as the server builds it; "redis-lane": through a :class:`ScriptLane`)."""


@asynccontextmanager
async def open_store(kind: str, clock: Clock) -> AsyncIterator[RoutingState]:
    """MemoryState, or RedisState under a fresh prefix (dropped afterwards)."""
    if kind == "memory":
        yield MemoryState(SERVICES, clock=clock)
        return
    prefix = new_prefix()
    async with redis_client() as client:
        lane = ScriptLane.from_url(REDIS_URL) if kind == "redis-lane" else None
        store = RedisState(client, SERVICES, prefix=prefix, clock=clock, lane=lane)
        try:
            yield store
        finally:
            await store.close()
            await drop_prefix(prefix)
