"""AudioSocket: the wire format (pure) and the server over real sockets, fake Asterisk side."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from speech.audiosocket import AudioSocketConnection, AudioSocketServer, AudioSocketStartupError
from speech.audiosocket_client import Close, FakeAudioSocketCall, Key, Raw, Speech
from speech.audiosocket_protocol import (
    Frame,
    FrameDecoder,
    Kind,
    check_payload,
    encode,
    encode_audio,
    encode_dtmf,
    encode_hangup,
    encode_uuid,
    parse_header,
)
from speech.exceptions import AudioSocketProtocolError

HOST = "127.0.0.1"
CALL = uuid.UUID("40d1a3b2-5b8e-4c1f-9a51-0e6f1c2d3b4a")


# --- wire format ------------------------------------------------------------------------


def test_uuid_frame_is_what_asterisk_sends() -> None:
    # res_audiosocket.c ast_audiosocket_init: kind 0x01, length 0x0010, the 16 raw bytes.
    assert encode_uuid(CALL) == b"\x01\x00\x10" + CALL.bytes
    assert encode_uuid(str(CALL)) == encode_uuid(CALL)


def test_frames_round_trip() -> None:
    data = encode_uuid(CALL) + encode_audio(bytes(320)) + encode_dtmf("#") + encode_hangup()
    frames = FrameDecoder().feed(data)
    assert [f.kind for f in frames] == [Kind.UUID, Kind.AUDIO, Kind.DTMF, Kind.HANGUP]
    assert frames[0].uuid == CALL
    assert frames[1].payload == bytes(320)
    assert frames[2].digit == "#"
    assert encode_hangup() == b"\x00\x00\x00"


def test_error_frame_is_described() -> None:
    assert Frame(Kind.ERROR, b"\x01").error == "error 0x01 (caller hung up)"
    assert Frame(Kind.ERROR, b"").error == "error (no code)"
    assert "unknown code" in Frame(Kind.ERROR, b"\x09").error


@pytest.mark.parametrize("code", [0x02, 0x11, 0x12, 0x42])
def test_unsupported_kinds_are_rejected(code: int) -> None:
    with pytest.raises(AudioSocketProtocolError, match=f"unsupported frame kind 0x{code:02x}"):
        parse_header(bytes([code, 0, 2]))


def test_over_long_frames_are_rejected_before_reading_them() -> None:
    with pytest.raises(AudioSocketProtocolError, match="AUDIO frame of 9000 bytes exceeds"):
        parse_header(b"\x10" + (9000).to_bytes(2, "big"), max_payload=8192)


@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [
        (Kind.UUID, b"short", "UUID frame of 5 bytes"),
        (Kind.DTMF, b"x", "DTMF frame"),
        (Kind.DTMF, b"12", "DTMF frame"),
        (Kind.AUDIO, b"", "audio frame of 0 bytes"),
        (Kind.AUDIO, b"abc", "audio frame of 3 bytes"),
        (Kind.HANGUP, b"x", "hang-up frame with a 1-byte payload"),
    ],
)
def test_bad_payloads_are_rejected(kind: Kind, payload: bytes, message: str) -> None:
    with pytest.raises(AudioSocketProtocolError, match=message):
        check_payload(kind, payload)


def test_encoders_refuse_what_asterisk_would_refuse() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        encode_audio(b"")
    with pytest.raises(ValueError, match="not a DTMF digit"):
        encode_dtmf("x")
    with pytest.raises(ValueError, match="exceeds"):
        encode(Kind.AUDIO, bytes(70000))


FRAME = st.one_of(
    st.builds(lambda n: encode_audio(bytes(range(256)) * 2 + bytes(2 * n)), st.integers(0, 200)),
    st.sampled_from([encode_dtmf(d) for d in "0123456789*#"]),
    st.builds(lambda u: encode_uuid(uuid.UUID(int=u)), st.integers(0, 2**128 - 1)),
)


@given(st.lists(FRAME, max_size=12), st.lists(st.integers(1, 400), max_size=30))
def test_decoder_is_independent_of_how_bytes_arrive(frames: list[bytes], cuts: list[int]) -> None:
    data = b"".join(frames)
    decoder = FrameDecoder()
    got: list[Frame] = []
    pos = 0
    for size in [*cuts, len(data)]:
        got += decoder.feed(data[pos : pos + size])
        pos += size
    assert [encode(f.kind, f.payload) for f in got] == frames
    assert decoder.pending == 0


# --- the server over real sockets ------------------------------------------------------


@pytest.fixture
async def server() -> AsyncIterator[AudioSocketServer]:
    srv = AudioSocketServer(HOST, 0, uuid_timeout=0.5)
    await srv.start()
    yield srv
    await srv.close()


async def collect(conn: AudioSocketConnection) -> list[Frame]:
    """A handler that records frames until a key is pressed, then answers with a beep."""
    got = []
    while (frame := await conn.read_frame()) is not None:
        got.append(frame)
        if frame.kind is Kind.DTMF:
            await conn.send_audio(b"\x01\x02" * 400)  # 800 bytes: sent as 320+320+160
            break
    return got


async def raw_exchange(port: int, data: bytes, *, then_eof: bool = False) -> bytes:
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(data)
    if then_eof:
        writer.write_eof()
    await writer.drain()
    async with asyncio.timeout(5):
        received = await reader.read()
    writer.close()
    await writer.wait_closed()
    return received


async def a_good_call(server: AudioSocketServer) -> None:
    """A normal stream; after a failure it shows the server is still serving."""
    handled = server.stats.handled
    expectation = server.expect(CALL, collect)
    caller = FakeAudioSocketCall(HOST, server.port, CALL)
    await caller.run([Speech(bytes(640)), Key("7")], realtime=False)
    frames = await expectation.result
    assert [f.kind for f in frames] == [Kind.AUDIO, Kind.AUDIO, Kind.DTMF]
    assert frames[-1].digit == "7"
    assert bytes(caller.received_audio) == b"\x01\x02" * 400
    assert caller.received_kinds == [Kind.AUDIO] * 3 + [Kind.HANGUP]
    assert caller.hangup_received and caller.closed_by_server
    assert server.waiting == 0 and server.stats.handled == handled + 1


async def test_stream_reaches_the_handler_and_ends_with_a_hangup_frame(
    server: AudioSocketServer,
) -> None:
    await a_good_call(server)
    assert server.stats.connections == 1 and server.stats.handler_errors == 0


async def test_caller_hanging_up_is_eof_for_the_handler(server: AudioSocketServer) -> None:
    expectation = server.expect(CALL, collect)
    await FakeAudioSocketCall(HOST, server.port, CALL).run([Speech(bytes(960)), Close()])
    assert len(await expectation.result) == 3


async def test_unknown_uuid_is_refused_and_the_server_stays_up(
    server: AudioSocketServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "speech.audiosocket")
    stranger = uuid.uuid4()
    assert await raw_exchange(server.port, encode_uuid(stranger)) == b""
    assert server.stats.unknown_uuid == 1
    assert f"unknown or used UUID {stranger}" in caplog.text
    await a_good_call(server)


async def test_a_uuid_is_good_for_one_connection(server: AudioSocketServer) -> None:
    expectation = server.expect(CALL, collect)
    await FakeAudioSocketCall(HOST, server.port, CALL).run([Key("1")], realtime=False)
    await expectation.result
    assert await raw_exchange(server.port, encode_uuid(CALL)) == b""
    assert server.stats.unknown_uuid == 1


@pytest.mark.parametrize(
    ("first", "reason"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "unsupported frame kind 0x47"),
        (encode_audio(bytes(320)), "first frame is AUDIO, expected UUID"),
        (b"\x01\x00\x05abcde", "UUID frame of 5 bytes"),
        (b"\x01\x00", "closed inside a frame header"),
        (b"", "closed before sending a UUID"),
    ],
)
async def test_garbage_before_the_uuid_is_dropped(
    server: AudioSocketServer, caplog: pytest.LogCaptureFixture, first: bytes, reason: str
) -> None:
    caplog.set_level(logging.WARNING, "speech.audiosocket")
    expectation = server.expect(CALL, collect)
    assert await raw_exchange(server.port, first, then_eof=True) == b""
    assert reason in caplog.text
    assert server.stats.bad_connections == 1
    assert not expectation.connected.is_set()  # still waiting for the real call
    expectation.cancel()


async def test_silent_connection_is_dropped_after_the_uuid_timeout(
    server: AudioSocketServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "speech.audiosocket")
    assert await raw_exchange(server.port, b"") == b""
    assert "no UUID frame within 0.5 s" in caplog.text


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (b"\x10\xff\xff", "AUDIO frame of 65535 bytes exceeds the 8192-byte limit"),
        (b"\x11\x01\x40" + bytes(320), "unsupported frame kind 0x11"),
        (encode_uuid(CALL), "unexpected UUID frame mid-stream"),
        (b"\x03\x00\x01Z", "DTMF frame"),
        (b"\x10\x01\x40" + bytes(10), "closed after 10 of 320 payload bytes"),
    ],
)
async def test_bad_frames_mid_stream_fail_that_stream_only(
    server: AudioSocketServer, bad: bytes, message: str
) -> None:
    async def strict(conn: AudioSocketConnection) -> int:
        count = 0
        while (frame := await conn.read_frame()) is not None:
            if frame.kind is Kind.UUID:
                raise AudioSocketProtocolError("unexpected UUID frame mid-stream")
            count += 1
        return count

    expectation = server.expect(CALL, strict)
    caller = FakeAudioSocketCall(HOST, server.port, CALL)
    await caller.run([Speech(bytes(320)), Raw(bad), Close()], realtime=False)
    with pytest.raises(AudioSocketProtocolError, match=message):
        await expectation.result
    assert server.stats.handler_errors == 1
    await a_good_call(server)


async def test_error_frame_from_asterisk_reaches_the_handler(server: AudioSocketServer) -> None:
    async def first(conn: AudioSocketConnection) -> Frame | None:
        return await conn.read_frame()

    expectation = server.expect(CALL, first)
    await FakeAudioSocketCall(HOST, server.port, CALL).run([Raw(b"\xff\x00\x01\x02")])
    frame = await expectation.result
    assert frame is not None and frame.error == "error 0x02 (frame forwarding error)"


async def test_cancelled_expectation_refuses_the_late_call(server: AudioSocketServer) -> None:
    expectation = server.expect(CALL, collect)
    expectation.cancel()
    assert expectation.result.cancelled()
    assert await raw_exchange(server.port, encode_uuid(CALL)) == b""
    assert server.stats.unknown_uuid == 1


async def test_expecting_a_uuid_twice_is_an_error(server: AudioSocketServer) -> None:
    server.expect(CALL, collect)
    with pytest.raises(ValueError, match="already expected"):
        server.expect(CALL, collect)


async def test_abort_closes_a_running_stream(server: AudioSocketServer) -> None:
    expectation = server.expect(CALL, collect)
    caller = FakeAudioSocketCall(HOST, server.port, CALL)
    running = asyncio.create_task(caller.run([], keep_streaming_s=10))
    await asyncio.wait_for(expectation.connected.wait(), 5)
    expectation.abort()
    await asyncio.wait_for(running, 5)
    assert caller.closed_by_server
    assert expectation.result.cancelled()


async def test_close_cancels_waiting_expectations() -> None:
    srv = AudioSocketServer(HOST, 0)
    await srv.start()
    expectation = srv.expect(CALL, collect)
    await srv.close()
    assert expectation.result.cancelled()


async def test_port_in_use_is_a_clear_startup_error(server: AudioSocketServer) -> None:
    with pytest.raises(AudioSocketStartupError, match=f"cannot listen on {HOST}:{server.port}"):
        await AudioSocketServer(HOST, server.port).start()
