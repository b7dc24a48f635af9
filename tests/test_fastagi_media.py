"""STREAM FILE's ``result=-1``: a hang-up mid-playback is told apart from a missing file."""

from __future__ import annotations

import pytest

from ivr.fastagi import AGIChannel, AGICommandError, AGIHangup, FastAGIServer
from ivr.fastagi.asterisk_side import ReceivedCommand
from ivr.fastagi.client import run_call


def failing_playback(cmd: ReceivedCommand) -> str | None:
    return "200 result=-1 endpos=0" if cmd.name == "STREAM FILE" else None


@pytest.mark.parametrize(
    ("hangup_at", "expected"),
    [("CHANNEL STATUS", AGIHangup), (None, AGICommandError)],
    ids=["caller-hung-up", "file-missing"],
)
async def test_failed_playback_is_a_hangup_only_when_the_channel_is_gone(
    hangup_at: str | None, expected: type[Exception]
) -> None:
    raised: list[BaseException] = []

    async def handler(channel: AGIChannel) -> None:
        try:
            await channel.stream_file("omnivox/prompt", "123")
        except Exception as exc:
            raised.append(exc)

    async with FastAGIServer(handler, "127.0.0.1", 0) as server:
        call = await run_call(
            "127.0.0.1", server.port, responder=failing_playback, hangup_at=hangup_at
        )
    assert len(raised) == 1 and isinstance(raised[0], expected), raised
    assert isinstance(raised[0], AGIHangup) == (hangup_at is not None)
    assert call.names[:2] == ["STREAM FILE", "CHANNEL STATUS"]
