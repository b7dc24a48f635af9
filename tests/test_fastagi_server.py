"""FastAGI server against real sockets, with the fake Asterisk (or raw bytes) on the other end."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from ivr.fastagi import (
    AGIChannel,
    AGICommandError,
    AGIDeadChannel,
    AGIHangup,
    AGITimeout,
    FastAGIServer,
    FastAGIStartupError,
)
from ivr.fastagi.asterisk_side import DEAD_REPLY, ReceivedCommand, split_args
from ivr.fastagi.client import run_call

HOST = "127.0.0.1"
Handler = Callable[[AGIChannel], Awaitable[None]]


@asynccontextmanager
async def serving(handler: Handler, **options: Any) -> AsyncIterator[FastAGIServer]:
    server = FastAGIServer(handler, HOST, 0, **options)
    await server.start()
    try:
        yield server
    finally:
        await server.close(grace=1.0)


async def raw_exchange(port: int, payload: bytes, *, then_eof: bool = True) -> bytes:
    """Send bytes as a raw 'Asterisk' (then EOF) and return everything until the server closes."""
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(payload)
    if then_eof:
        writer.write_eof()
    await writer.drain()
    async with asyncio.timeout(10):
        data = await reader.read()
    writer.close()
    await writer.wait_closed()
    return data


async def happy(channel: AGIChannel) -> None:
    await channel.answer()
    await channel.stream_file("welcome", "12")


async def test_call_gets_environment_and_status_ok() -> None:
    seen: list[AGIChannel] = []

    async def handler(channel: AGIChannel) -> None:
        seen.append(channel)
        await channel.answer()
        assert await channel.get_variable("LANG") == "ru"
        assert await channel.get_variable("MISSING") is None
        assert await channel.stream_file("menu", "123") == "2"
        assert await channel.get_data("pin", 3000, 4) == ("1234", False)
        assert await channel.wait_for_digit(1000) is None
        assert await channel.exec("Playback", "beep", "noanswer") == 0
        await channel.verbose("done", 3)

    async with serving(handler) as server:
        call = await run_call(
            HOST,
            server.port,
            script="telecom?x=1",
            callerid="+15551234567",
            digits="21234",
            variables={"LANG": "ru"},
            args=("a1",),
        )
    env = seen[0].env
    assert (env.script, env.query, env.args) == ("telecom", {"x": "1"}, ["a1"])
    assert env.callerid == "+15551234567"
    assert call.names == [
        "ANSWER",
        "GET VARIABLE",
        "GET VARIABLE",
        "STREAM FILE",
        "GET DATA",
        "WAIT FOR DIGIT",
        "EXEC",
        "VERBOSE",
        "SET VARIABLE",
    ]
    assert call.commands[6].args == ("Playback", "beep,noanswer")
    assert call.variables["OMNIVOX_STATUS"] == "OK"
    assert call.closed_by_server
    assert (server.stats.calls, server.stats.completed, server.stats.failures) == (1, 1, 0)


async def test_injection_reaches_raw_asterisk_as_exactly_one_line() -> None:
    value = 'O"Brien\nHANGUP \\ end\\'

    async def handler(channel: AGIChannel) -> None:
        await channel.set_variable("NAME", value)

    async with serving(handler, status_variable=None) as server:
        reader, writer = await asyncio.open_connection(HOST, server.port)
        writer.write(b"agi_network: yes\nagi_network_script: x\n\n")
        line = await reader.readline()
        writer.write(b"200 result=1\n")
        await writer.drain()
        rest = await reader.read()
        writer.close()
        await writer.wait_closed()
    assert rest == b""  # nothing after the one command: no injected second line
    assert line.count(b"\n") == 1
    words = split_args(line.decode().rstrip("\n"))
    assert words == ["SET", "VARIABLE", "NAME", 'O"BriennHANGUP \\ end\\']


async def test_hangup_line_before_reply_keeps_replies_aligned() -> None:
    results: list[object] = []

    async def handler(channel: AGIChannel) -> None:
        await channel.answer()
        results.append(channel.hung_up)
        results.append(await channel.get_variable("A"))  # HANGUP arrives before this reply
        results.append(channel.hung_up)
        results.append(await channel.get_variable("B"))
        try:
            await channel.stream_file("menu")
        except AGIDeadChannel as exc:
            results.append(type(exc))

    async with serving(handler) as server:
        call = await run_call(
            HOST, server.port, variables={"A": "first", "B": "second"}, hangup_at="GET VARIABLE"
        )
    assert results == [False, "first", True, "second", AGIDeadChannel]
    assert call.hung_up and call.variables["OMNIVOX_STATUS"] == "OK"  # SET VARIABLE works dead


async def test_multiline_520_consumed_and_next_reply_aligned() -> None:
    usage = [
        "520-Invalid command syntax.  Proper usage follows:",
        " Usage: SAY NUMBER <number> <escape digits> [gender]",
        "    Say a given number, returning early if any of the given DTMF digits",
        "520 End of proper usage.",
    ]
    outcome: dict[str, object] = {}

    def responder(cmd: ReceivedCommand) -> list[str] | None:
        return usage if cmd.name == "SAY NUMBER" else None

    async def handler(channel: AGIChannel) -> None:
        with pytest.raises(AGICommandError) as info:
            await channel.command("SAY NUMBER", "abc")
        outcome["code"] = info.value.code
        outcome["after"] = await channel.get_variable("X")
        with pytest.raises(AGICommandError, match="510"):
            await channel.command("FROB NICATE")
        outcome["last"] = await channel.get_variable("X")

    async with serving(handler) as server:
        await run_call(HOST, server.port, responder=responder, variables={"X": "ok"})
    assert outcome == {"code": 520, "after": "ok", "last": "ok"}


async def test_511_raises_dead_channel() -> None:
    def responder(cmd: ReceivedCommand) -> str | None:
        return DEAD_REPLY if cmd.name == "STREAM FILE" else None

    caught: list[BaseException] = []

    async def handler(channel: AGIChannel) -> None:
        try:
            await channel.stream_file("welcome")
        except AGIDeadChannel as exc:
            caught.append(exc)
            assert channel.hung_up
            raise

    async with serving(handler) as server:
        call = await run_call(HOST, server.port, responder=responder)
    assert len(caught) == 1 and "dead" in str(caught[0])
    assert server.stats.hangups == 1 and server.stats.failures == 0
    assert "OMNIVOX_STATUS" not in call.variables  # a hang-up is not a failure to report


async def test_eof_raises_hangup_and_later_commands_fail_fast() -> None:
    caught: list[type[BaseException]] = []

    async def handler(channel: AGIChannel) -> None:
        await channel.answer()
        for _ in range(2):
            try:
                await channel.get_variable("X")
            except AGIHangup as exc:
                caught.append(type(exc))
        assert not channel.connected

    async with serving(handler) as server:
        call = await run_call(HOST, server.port, close_at=1)
    assert caught == [AGIHangup, AGIHangup]
    assert call.names == ["ANSWER", "GET VARIABLE"]
    assert server.stats.completed == 1


async def test_get_data_timeout_marker() -> None:
    got: list[tuple[str, bool]] = []

    async def handler(channel: AGIChannel) -> None:
        got.append(await channel.get_data("pin", 2000, 4))
        got.append(await channel.get_data("pin", 2000, 4))

    async with serving(handler) as server:
        await run_call(HOST, server.port, digits="12.")
    assert got == [("12", True), ("", True)]


async def test_command_timeout_closes_connection() -> None:
    released = asyncio.Event()
    caught: list[BaseException] = []

    async def gate(cmd: ReceivedCommand) -> None:
        await released.wait()

    async def handler(channel: AGIChannel) -> None:
        try:
            await channel.answer()
        except AGITimeout as exc:
            caught.append(exc)
            released.set()
            with pytest.raises(AGIHangup):
                await channel.noop()
            raise

    async with serving(handler, command_timeout=0.2) as server:
        call = await run_call(HOST, server.port, gate=gate)
    assert len(caught) == 1 and "ANSWER" in str(caught[0])
    assert call.closed_by_server and call.names == ["ANSWER"]
    assert server.stats.failures == 1


async def test_connect_and_close_does_not_spin_or_reach_handler() -> None:
    calls: list[str] = []

    async def handler(channel: AGIChannel) -> None:
        calls.append(channel.env.uniqueid)

    async with serving(handler) as server:
        for payload in (b"", b"agi_network: yes\nagi_channel: PJSIP/x"):
            assert await raw_exchange(server.port, payload) == b""
        assert server.stats.bad_connections == 2

        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(0.5)  # a measurement window: there is no event to await here
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        task.cancel()
        assert cpu < 0.25 * wall, f"event loop busy: {cpu:.3f} s CPU in {wall:.3f} s"
        assert ticks >= 20

        call = await run_call(HOST, server.port, uniqueid="after.1")
    assert calls == ["after.1"]
    assert call.variables["OMNIVOX_STATUS"] == "OK"
    assert server.stats.bad_connections == 2


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\x16\x03\x01\x02\x00\xff\xfe garbage\n\n", "not an AGI environment line"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "not an AGI environment line"),
        (b"agi_network: " + b"x" * 5000, "line longer than"),
        (b"agi_network: " + b"x" * 5000 + b"\n\n", "line longer than"),
        (b"\n", "empty environment"),
    ],
)
async def test_garbage_or_overlong_environment_is_contained(
    payload: bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    async def handler(channel: AGIChannel) -> None:
        calls.append(channel.env.uniqueid)

    caplog.set_level(logging.WARNING, logger="ivr.fastagi")
    async with serving(handler, max_line=1024) as server:
        assert await raw_exchange(server.port, payload) == b""
        call = await run_call(HOST, server.port, uniqueid="next.1")
    assert calls == ["next.1"] and call.variables["OMNIVOX_STATUS"] == "OK"
    assert server.stats.bad_connections == 1
    assert any(reason in r.getMessage() and "dropped" in r.getMessage() for r in caplog.records)


async def test_silent_connection_times_out(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ivr.fastagi")
    async with serving(happy, env_timeout=0.2) as server:
        assert await raw_exchange(server.port, b"agi_network: yes\n", then_eof=False) == b""
    assert server.stats.bad_connections == 1
    assert any("no complete environment" in r.getMessage() for r in caplog.records)


async def test_non_utf8_caller_name_does_not_kill_the_call() -> None:
    names: list[str | None] = []

    async def handler(channel: AGIChannel) -> None:
        names.append(channel.env.calleridname)
        await channel.answer()

    async with serving(handler, status_variable=None) as server:
        raw = b"agi_network: yes\nagi_network_script: x\nagi_calleridname: Jos\xe9\n\n"
        reader, writer = await asyncio.open_connection(HOST, server.port)
        writer.write(raw)
        assert await reader.readline() == b"ANSWER\n"
        writer.write(b"200 result=0\n")
        assert await reader.read() == b""
        writer.close()
        await writer.wait_closed()
    assert names == ["Jos\ufffd"]


@pytest.mark.parametrize("error", [RuntimeError("boom"), AssertionError("bad state")])
async def test_handler_exception_sets_failed_and_server_survives(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    async def handler(channel: AGIChannel) -> None:
        await channel.answer()
        if channel.env.uniqueid == "bad.1":
            raise error

    caplog.set_level(logging.ERROR, logger="ivr.fastagi")
    async with serving(handler) as server:
        bad = await run_call(HOST, server.port, uniqueid="bad.1", channel="PJSIP/bad-1")
        good = await run_call(HOST, server.port, uniqueid="good.1")
    assert bad.variables["OMNIVOX_STATUS"] == "FAILED" and bad.closed_by_server
    assert good.variables["OMNIVOX_STATUS"] == "OK"
    assert (server.stats.failures, server.stats.completed) == (1, 1)
    logged = [r for r in caplog.records if r.exc_info]
    assert len(logged) == 1 and "bad.1" in logged[0].getMessage()
    assert "PJSIP/bad-1" in logged[0].getMessage()


async def test_handler_status_is_not_overwritten() -> None:
    async def handler(channel: AGIChannel) -> None:
        await channel.set_variable("OMNIVOX_STATUS", "TRANSFER")

    async with serving(handler) as server:
        call = await run_call(HOST, server.port)
    assert call.names == ["SET VARIABLE"] and call.variables["OMNIVOX_STATUS"] == "TRANSFER"


async def test_port_in_use_is_a_clear_error() -> None:
    async with serving(happy) as server:
        second = FastAGIServer(happy, HOST, server.port)
        with pytest.raises(FastAGIStartupError, match=f"{HOST}:{server.port}") as info:
            await second.start()
    assert isinstance(info.value, OSError)


async def test_max_connections_refuses_extra_calls() -> None:
    entered, released = asyncio.Event(), asyncio.Event()

    async def handler(channel: AGIChannel) -> None:
        entered.set()
        await released.wait()

    async with serving(handler, max_connections=1) as server:
        first = asyncio.create_task(run_call(HOST, server.port))
        await entered.wait()
        second = await run_call(HOST, server.port)
        released.set()
        done = await first
    assert second.commands == [] and second.closed_by_server
    assert done.variables["OMNIVOX_STATUS"] == "OK"
    assert server.stats.rejected == 1


async def test_close_cancels_running_calls_and_closes_their_sockets() -> None:
    entered = asyncio.Event()

    async def handler(channel: AGIChannel) -> None:
        entered.set()
        await asyncio.Event().wait()  # a call that would never end

    server = FastAGIServer(handler, HOST, 0)
    await server.start()
    task = asyncio.create_task(run_call(HOST, server.port))
    await entered.wait()
    assert server.active_calls == 1
    started = time.perf_counter()
    await server.close(grace=0.1)
    assert time.perf_counter() - started < 2
    call = await asyncio.wait_for(task, 5)
    assert call.closed_by_server and call.variables["OMNIVOX_STATUS"] == "FAILED"
    assert server.active_calls == 0 and server.active_connections == 0


async def test_200_concurrent_calls_complete() -> None:
    async def handler(channel: AGIChannel) -> None:
        await channel.answer()
        await channel.get_variable("LANG")
        await channel.stream_file("welcome", "1")
        await channel.set_variable("CHOICE", "1")

    async with serving(handler) as server:
        calls = await asyncio.gather(
            *(run_call(HOST, server.port, digits="1", uniqueid=f"c.{i}") for i in range(200))
        )
    assert all(c.variables.get("CHOICE") == "1" for c in calls)
    assert all(c.variables.get("OMNIVOX_STATUS") == "OK" for c in calls)
    assert server.stats.calls == 200 and server.stats.commands == 200 * 5


async def test_garbage_reply_is_a_protocol_error_and_the_call_is_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def responder(cmd: ReceivedCommand) -> str | None:
        return "hello, I am not Asterisk" if cmd.name == "ANSWER" else None

    caplog.set_level(logging.ERROR, logger="ivr.fastagi")
    async with serving(happy) as server:
        call = await run_call(HOST, server.port, responder=responder, uniqueid="junk.1")
        good = await run_call(HOST, server.port)
    assert call.names == ["ANSWER"] and call.closed_by_server  # nothing sent after the garbage
    assert good.variables["OMNIVOX_STATUS"] == "OK"
    assert server.stats.failures == 1
    assert any(
        "not an AGI reply" in r.getMessage() and "junk.1" in r.getMessage() for r in caplog.records
    )
