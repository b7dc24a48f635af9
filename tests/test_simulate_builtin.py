"""The builtin driver against a real FastAGI server whose handler asks exactly what a test
needs: waits spanning question timeouts, barge-in, hang-ups, what reaches the line."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from ivr.fastagi import AGIChannel, AGIHangup, FastAGIServer
from omnivox.simulate import model as m
from omnivox.simulate.builtin import BuiltinDriver
from omnivox.simulate.caller import Caller
from omnivox.simulate.heard import Transcript

Handler = Callable[[AGIChannel], Awaitable[None]]


async def call_with(handler: Handler, steps: list[m.Step]) -> tuple[Caller, dict[str, object]]:
    async with FastAGIServer(handler, "127.0.0.1", 0) as server:
        caller = Caller(steps, Transcript(None))
        line = await BuiltinDriver("127.0.0.1", server.port).call("any", "+14155550100", caller)
    caller.ended()
    return caller, {"line": line}


async def test_a_wait_longer_than_a_question_lets_it_time_out_and_answers_the_next() -> None:
    got: list[str | None] = []

    async def handler(channel: AGIChannel) -> None:
        for _ in range(3):
            got.append(await channel.wait_for_digit(200))
        await channel.set_variable("DONE", "1")

    started = time.perf_counter()
    caller, out = await call_with(handler, [m.Wait(0.5), m.Press("5")])
    elapsed = time.perf_counter() - started
    assert got == [None, None, "5"]  # 0.2 s + 0.2 s timed out, the key 0.1 s into the third
    assert 0.45 < elapsed < 2.0
    assert [r.status for r in caller.results] == ["passed", "passed"]
    assert out["line"].variables["DONE"] == "1"  # type: ignore[attr-defined]


async def test_barge_in_interrupts_the_playing_file_and_a_hangup_reaches_the_server() -> None:
    events: list[str] = []

    async def handler(channel: AGIChannel) -> None:
        events.append(f"pressed {await channel.stream_file('omnivox/one', '0123456789')}")
        try:
            await channel.stream_file("omnivox/two", "")
            events.append("played two")
            await channel.stream_file("omnivox/three", "")
        except AGIHangup:
            events.append("hung up")

    during = m.PromptMatch(text="omnivox/one")
    caller, out = await call_with(
        handler,
        [m.Press("7", during=during), m.ExpectPrompt(m.PromptMatch(text="two")), m.HangUp()],
    )
    assert events == ["pressed 7", "hung up"]  # hung up while "two" was playing
    assert [r.status for r in caller.results] == ["passed", "passed", "passed"]
    line = out["line"]
    assert line.caller_hung_up and line.error is None  # type: ignore[attr-defined]
    assert [p.text for p in caller.transcript.prompts] == ["[omnivox/one]", "[omnivox/two]"]


async def test_an_unreachable_server_is_a_driver_error_not_a_crash() -> None:
    async with FastAGIServer(lambda ch: _noop(ch), "127.0.0.1", 0) as server:
        port = server.port
    caller = Caller([m.Press("1")], Transcript(None))
    line = await BuiltinDriver("127.0.0.1", port).call("any", "+14155550100", caller)
    assert line.error is not None and line.error.startswith(
        f"cannot reach FastAGI at 127.0.0.1:{port}"
    )


async def _noop(channel: AGIChannel) -> None:
    return None
