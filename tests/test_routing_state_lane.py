"""ScriptLane against the real Redis: pipelined replies in order, Redis errors as
ResponseError, scripts reloaded after SCRIPT FLUSH-like loss, reconnect after a drop."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import ResponseError

from routing.state.lane import ScriptLane, sha1
from tests.test_routing_state_support import REDIS_URL, new_prefix

pytestmark = pytest.mark.redis


async def test_concurrent_calls_get_their_own_replies() -> None:
    lane = ScriptLane.from_url(REDIS_URL)
    key = new_prefix() + "n"
    try:
        body = "return {ARGV[1], redis.call('INCR', KEYS[1] or ARGV[2])}"
        replies = await asyncio.gather(
            *(lane.script(body, sha1(body), (str(i), key)) for i in range(200))
        )
        assert [r[0] for r in replies] == [str(i) for i in range(200)]
        assert sorted(r[1] for r in replies) == list(range(1, 201))
        assert await lane.execute("GET", key) == "200"
    finally:
        await lane.execute("DEL", key)
        await lane.close()


async def test_errors_come_back_as_response_errors_and_the_lane_goes_on() -> None:
    lane = ScriptLane.from_url(REDIS_URL)
    try:
        body = "return redis.error_reply('CONFLICT taken')"
        with pytest.raises(ResponseError, match="CONFLICT taken"):
            await lane.script(body, sha1(body), ())
        with pytest.raises(ResponseError):
            await lane.execute("NOSUCHCOMMAND")
        assert await lane.execute("PING") == "PONG"
    finally:
        await lane.close()


async def test_a_script_redis_forgot_is_sent_again() -> None:
    lane = ScriptLane.from_url(REDIS_URL)
    body = "return 'fresh-" + new_prefix() + "'"
    try:
        lane._loaded.add(sha1(body))  # believed loaded, never sent: Redis says NOSCRIPT
        assert (await lane.script(body, sha1(body), ())).startswith("fresh-")
    finally:
        await lane.close()


async def test_a_dropped_connection_is_opened_again() -> None:
    lane = ScriptLane.from_url(REDIS_URL)
    try:
        assert await lane.execute("PING") == "PONG"
        client_id = await lane.execute("CLIENT", "ID")
        other = ScriptLane.from_url(REDIS_URL)
        await other.execute("CLIENT", "KILL", "ID", str(client_id))
        await other.close()
        for _ in range(50):  # the loss reaches the lane's protocol
            await asyncio.sleep(0.01)
            if lane._protocol is None or lane._protocol.lost is not None:
                break
        assert await lane.execute("PING") == "PONG"
    finally:
        await lane.close()


def test_only_plain_tcp_urls() -> None:
    with pytest.raises(ValueError, match="plain TCP"):
        ScriptLane.from_url("rediss://127.0.0.1:6379/0")
    lane = ScriptLane.from_url("redis://u:p%40ss@h:7000/3")
    assert (lane.host, lane.port, lane.db, lane.username, lane.password) == (
        "h",
        7000,
        3,
        "u",
        "p@ss",
    )


async def test_a_call_without_reply_times_out_and_the_next_connects_again() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # reads nothing, answers nothing

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    lane = ScriptLane("127.0.0.1", port, timeout=0.2)
    try:
        results = await asyncio.gather(
            lane.execute("PING"), lane.execute("PING"), return_exceptions=True
        )
        assert [type(r) for r in results] == [TimeoutError, TimeoutError]
        with pytest.raises(TimeoutError):
            await lane.execute("PING")  # a new connection, as silent
        assert len(accepted) == 2
    finally:
        await lane.close()
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()
