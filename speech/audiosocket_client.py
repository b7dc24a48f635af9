"""A fake Asterisk for AudioSocket: the channel's side of ``AudioSocket(uuid,host:port)``.

For tests and benchmarks. It connects, sends the UUID, then plays a script of caller audio and
key presses as 20 ms frames (at real-time pace, or as fast as the socket takes them), and
keeps sending silence after the script, as a live channel does, until the server closes the
stream. Everything the server sends back is recorded::

    caller = FakeAudioSocketCall(host, port, call_id)
    await caller.run([Speech(pcm), Key("5")], realtime=True)
    caller.received_audio, caller.hangup_received, caller.frame_sent_at
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from speech.audio import FRAME_BYTES, FRAME_MS, frames
from speech.audiosocket_protocol import (
    FrameDecoder,
    Kind,
    encode_audio,
    encode_dtmf,
    encode_uuid,
)


@dataclass(frozen=True, slots=True)
class Speech:
    """Caller audio (slin 8 kHz), sent in 20 ms frames."""

    pcm: bytes


@dataclass(frozen=True, slots=True)
class Key:
    """A DTMF key press (sent between audio frames, as Asterisk does)."""

    digit: str


@dataclass(frozen=True, slots=True)
class Raw:
    """Bytes sent as they are (for protocol-error tests)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Close:
    """The caller hangs up: Asterisk closes the socket."""


Step = Speech | Key | Raw | Close


class FakeAudioSocketCall:
    """One AudioSocket stream from the Asterisk side."""

    def __init__(self, host: str, port: int, call_id: uuid.UUID | None) -> None:
        """``call_id=None`` sends no UUID frame (the script's Raw steps say what is sent)."""
        self.host, self.port, self.uuid = host, port, call_id
        self.received_audio = bytearray()
        self.received_kinds: list[Kind] = []
        self.first_audio_at: float | None = None  # when the server's first audio arrived
        self.hangup_received = False
        self.closed_by_server = False
        self.closed_at: float | None = None
        self.frame_sent_at: list[float] = []  # perf_counter of each audio frame sent
        self.protocol_error: str | None = None

    async def run(
        self,
        script: Sequence[Step],
        *,
        realtime: bool = True,
        keep_streaming_s: float = 30.0,
    ) -> None:
        """Connect, play ``script``, keep sending silence until the server closes (or
        ``keep_streaming_s`` passes), then close."""
        reader, writer = await asyncio.open_connection(self.host, self.port)
        receiver = asyncio.create_task(self._receive(reader))
        hang_up = False
        try:
            if self.uuid is not None:
                writer.write(encode_uuid(self.uuid))
            start, sent = time.perf_counter(), 0
            for step in script:
                if receiver.done():
                    break
                if isinstance(step, Close):
                    hang_up = True
                    break
                if isinstance(step, Key):
                    writer.write(encode_dtmf(step.digit))
                    await writer.drain()
                elif isinstance(step, Raw):
                    writer.write(step.data)
                    await writer.drain()
                else:
                    for frame in frames(step.pcm):
                        if receiver.done():
                            break
                        sent = await self._send(writer, frame, start, sent, realtime)
            start, sent = time.perf_counter(), 0
            deadline = start + keep_streaming_s
            while not hang_up and not receiver.done() and time.perf_counter() < deadline:
                sent = await self._send(writer, bytes(FRAME_BYTES), start, sent, realtime=True)
        except ConnectionError:
            pass
        finally:
            if not hang_up:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(receiver), 2.0)
            receiver.cancel()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _send(
        self, writer: asyncio.StreamWriter, frame: bytes, start: float, sent: int, realtime: bool
    ) -> int:
        if realtime:
            due = start + sent * FRAME_MS / 1000
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        writer.write(encode_audio(frame))
        self.frame_sent_at.append(time.perf_counter())
        await writer.drain()
        if not realtime and sent % 25 == 0:
            await asyncio.sleep(0)  # let the reader notice a close
        return sent + 1

    async def _receive(self, reader: asyncio.StreamReader) -> None:
        decoder = FrameDecoder()
        while True:
            try:
                data = await reader.read(4096)
            except ConnectionError:
                data = b""
            if not data:
                self.closed_by_server = True
                self.closed_at = time.perf_counter()
                return
            try:
                decoded = decoder.feed(data)
            except Exception as exc:  # record, as Asterisk would log it, and stop reading
                self.protocol_error = str(exc)
                return
            for frame in decoded:
                self.received_kinds.append(frame.kind)
                if frame.kind is Kind.AUDIO:
                    if self.first_audio_at is None:
                        self.first_audio_at = time.perf_counter()
                    self.received_audio += frame.payload
                elif frame.kind is Kind.HANGUP:
                    self.hangup_received = True
