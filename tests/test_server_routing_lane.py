"""With Redis configured, the server's routing state runs its scripts over a
:class:`routing.state.lane.ScriptLane` (one pipelined connection), and closes it on stop."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from omnivox.server import OmnivoxServer
from routing.core.model import AgentState
from routing.state import RedisState
from routing.state.lane import ScriptLane
from tests.desktop_helpers import make_agent
from tests.ivr_helpers import OPEN, running_clock
from tests.test_server import settings_for

REDIS_URL = "redis://127.0.0.1:6379/0"


class CountingLane(ScriptLane):
    """A lane that counts the scripts it runs."""

    scripts = 0

    async def script(self, body: str, sha: str, args: tuple[str, ...]) -> object:
        CountingLane.scripts += 1
        return await super().script(body, sha, args)


@pytest.mark.redis
async def test_the_routing_state_runs_through_the_script_lane(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("omnivox.server.ScriptLane", CountingLane)
    prefix = f"omnivox:test:{secrets.token_hex(4)}:"
    settings = settings_for(tmp_path, redis_url=REDIS_URL, redis_prefix=prefix)
    redis = aioredis.Redis(decode_responses=True)
    try:
        async with OmnivoxServer(settings, clock=running_clock(OPEN)) as server:
            assert server.store is not None and server.router is not None
            state = server.router.state
            assert isinstance(state, RedisState) and isinstance(state._lane, CountingLane)
            record = await make_agent(server.store, "ann")
            before = CountingLane.scripts
            await server.router.add_agent(record)
            await server.router.set_state(record.id, "ready")
            assert CountingLane.scripts >= before + 2  # put_agent, set_state
            view = await state.get_agent(str(record.id))
            assert view is not None and view.state is AgentState.READY
            lane = state._lane
        assert lane._protocol is None  # closed with the server
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
