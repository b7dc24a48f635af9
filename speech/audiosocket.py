"""The AudioSocket TCP server: Asterisk's ``AudioSocket(uuid,host:port)`` connects here.

Whoever wants a call's audio registers its UUID first (:meth:`AudioSocketServer.expect`) with
a handler; when Asterisk connects and sends that UUID, the handler runs with the connection,
and its return value (or exception) becomes the expectation's result. Afterwards the server
sends a hang-up frame and closes the socket, so ``AudioSocket()`` returns 0 and the dialplan
(or the AGI that EXECed it) continues. A connection with no UUID, an unknown or already used
UUID, garbage, a wrong kind or an over-long frame is logged and closed; the server stays up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from speech.audio import FRAME_BYTES
from speech.audiosocket_protocol import (
    HEADER_BYTES,
    Frame,
    Kind,
    check_payload,
    encode,
    encode_hangup,
    parse_header,
)
from speech.exceptions import AudioSocketProtocolError, SpeechError

T = TypeVar("T")
DEFAULT_MAX_PAYLOAD = 8192  # Asterisk sends 320-byte frames; anything near 64 KB is not audio


class AudioSocketStartupError(SpeechError, OSError):
    """The AudioSocket server could not listen."""


@dataclass(slots=True)
class AudioSocketStats:
    """Counters since start."""

    connections: int = 0
    handled: int = 0  # matched a registered UUID and ran its handler
    unknown_uuid: int = 0
    bad_connections: int = 0  # no UUID in time, garbage, wrong first frame
    handler_errors: int = 0  # the handler raised (protocol errors mid-stream included)


class AudioSocketConnection:
    """One call's audio stream, as the handler sees it."""

    def __init__(
        self,
        call_id: uuid.UUID,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        max_payload: int,
        peer: str,
    ) -> None:
        self.uuid = call_id
        self.peer = peer
        self._reader = reader
        self._writer = writer
        self._max_payload = max_payload
        self.eof = False  # Asterisk closed its side (the caller hung up, or AudioSocket ended)

    async def read_frame(self) -> Frame | None:
        """The next frame, or None at EOF; AudioSocketProtocolError on a bad frame."""
        frame = await read_frame(self._reader, self._max_payload)
        if frame is None or frame.kind is Kind.HANGUP:
            self.eof = True
            return None
        return frame

    async def send_audio(self, pcm: bytes) -> None:
        """Send slin audio to the caller, in 20 ms frames."""
        for i in range(0, len(pcm), FRAME_BYTES):
            chunk = pcm[i : i + FRAME_BYTES]
            self._writer.write(encode(Kind.AUDIO, chunk + bytes(len(chunk) % 2)))
        await self._writer.drain()

    async def hangup(self) -> None:
        """Ask Asterisk to end ``AudioSocket()`` (it returns 0; the channel stays up)."""
        if not self._writer.is_closing():
            self._writer.write(encode_hangup())
            with contextlib.suppress(ConnectionError):
                await self._writer.drain()


async def read_frame(reader: asyncio.StreamReader, max_payload: int) -> Frame | None:
    """Read one frame; None on a clean EOF between frames."""
    try:
        header = await reader.readexactly(HEADER_BYTES)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise AudioSocketProtocolError("connection closed inside a frame header") from None
        return None
    except ConnectionError:
        return None
    kind, length = parse_header(header, max_payload)
    try:
        payload = await reader.readexactly(length) if length else b""
    except asyncio.IncompleteReadError as exc:
        raise AudioSocketProtocolError(
            f"connection closed after {len(exc.partial)} of {length} payload bytes "
            f"({kind.name} frame)"
        ) from None
    except ConnectionError:
        raise AudioSocketProtocolError(f"connection lost inside a {kind.name} frame") from None
    return check_payload(kind, payload)


class Expectation(Generic[T]):
    """A registered UUID waiting for Asterisk to connect; ``result`` resolves when done."""

    def __init__(
        self,
        server: AudioSocketServer,
        call_id: uuid.UUID,
        handler: Callable[[AudioSocketConnection], Awaitable[T]],
    ) -> None:
        self.uuid = call_id
        self.handler = handler
        self.result: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self.connected = asyncio.Event()
        self._server = server
        self._task: asyncio.Task[None] | None = None

    def abort(self) -> None:
        """End the stream now if it is running: the socket closes, ``AudioSocket()`` returns."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def cancel(self) -> None:
        """Forget the UUID; a connection arriving later is refused as unknown."""
        self._server._expected.pop(self.uuid, None)
        if not self.connected.is_set() and not self.result.done():
            self.result.cancel()


class AudioSocketServer:
    """Serve AudioSocket connections, dispatching each to the handler registered for its UUID."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 9092,
        *,
        uuid_timeout: float = 5.0,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
        logger: logging.Logger | None = None,
    ) -> None:
        self.host = host
        self._requested_port = port
        self._uuid_timeout = uuid_timeout
        self._max_payload = max_payload
        self._log = logger or logging.getLogger("speech.audiosocket")
        self._server: asyncio.Server | None = None
        self._expected: dict[uuid.UUID, Expectation[object]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.stats = AudioSocketStats()

    async def start(self) -> None:
        """Start listening; AudioSocketStartupError names host:port on failure."""
        try:
            self._server = await asyncio.start_server(self._serve, self.host, self._requested_port)
        except OSError as exc:
            where = f"{self.host}:{self._requested_port}"
            raise AudioSocketStartupError(
                exc.errno, f"AudioSocket server cannot listen on {where}: {exc.strerror or exc}"
            ) from exc
        self._log.info("AudioSocket listening on %s:%d", self.host, self.port)

    @property
    def port(self) -> int:
        """The bound port (the real one when started with port 0)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("AudioSocket server is not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def waiting(self) -> int:
        """UUIDs registered and not yet connected or cancelled."""
        return len(self._expected)

    def expect(
        self, call_id: uuid.UUID, handler: Callable[[AudioSocketConnection], Awaitable[T]]
    ) -> Expectation[T]:
        """Register ``call_id``; the next connection announcing it runs ``handler``."""
        if call_id in self._expected:
            raise ValueError(f"UUID {call_id} is already expected")
        expectation = Expectation(self, call_id, handler)
        self._expected[call_id] = expectation  # type: ignore[assignment]
        return expectation

    async def close(self, grace: float = 2.0) -> None:
        """Stop accepting, cancel waiting expectations, give open streams ``grace`` seconds."""
        if self._server is not None:
            self._server.close()
        for expectation in list(self._expected.values()):
            expectation.cancel()
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=grace)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> AudioSocketServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.stats.connections += 1
        peer = _peer(writer)
        try:
            expectation = await self._identify(reader, peer)
            if expectation is not None:
                connection = AudioSocketConnection(
                    expectation.uuid, reader, writer, max_payload=self._max_payload, peer=peer
                )
                await self._run(expectation, connection)
                if not connection.eof:
                    await connection.hangup()
        except Exception:  # a bug here must cost one stream, never the server
            self._log.exception("AudioSocket: internal error serving %s", peer)
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def _identify(
        self, reader: asyncio.StreamReader, peer: str
    ) -> Expectation[object] | None:
        try:
            async with asyncio.timeout(self._uuid_timeout):
                frame = await read_frame(reader, self._max_payload)
        except TimeoutError:
            reason = f"no UUID frame within {self._uuid_timeout} s"
        except AudioSocketProtocolError as exc:
            reason = f"bad first frame: {exc}"
        else:
            if frame is None:
                reason = "closed before sending a UUID"
            elif frame.kind is not Kind.UUID:
                reason = f"first frame is {frame.kind.name}, expected UUID"
            else:
                expectation = self._expected.pop(frame.uuid, None)
                if expectation is not None:
                    return expectation
                self.stats.unknown_uuid += 1
                self._log.warning("AudioSocket: %s sent unknown or used UUID %s", peer, frame.uuid)
                return None
        self.stats.bad_connections += 1
        self._log.warning("AudioSocket: dropped connection from %s: %s", peer, reason)
        return None

    async def _run(
        self, expectation: Expectation[object], connection: AudioSocketConnection
    ) -> None:
        expectation._task = asyncio.current_task()
        expectation.connected.set()
        self.stats.handled += 1
        try:
            value = await expectation.handler(connection)
        except asyncio.CancelledError:
            if not expectation.result.done():
                expectation.result.cancel()
            raise
        except Exception as exc:
            self.stats.handler_errors += 1
            self._log.warning(
                "AudioSocket: stream %s from %s failed: %s", expectation.uuid, connection.peer, exc
            )
            if not expectation.result.done():
                expectation.result.set_exception(exc)
        else:
            if not expectation.result.done():
                expectation.result.set_result(value)


def _peer(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
