"""A lean Redis connection for the store's scripts: one pipelined socket, replies in order.

The routing hot path is a handful of ``EVALSHA`` calls per decision. Through redis-py's
asyncio client each costs ~80 us of Python (pool, retries, timeouts, instrumentation); here
it is ~10 us: a command is packed, written with the others issued in the same event-loop
turn (one ``send``), and its reply parsed in C by hiredis. Every coroutine of a process
shares the one connection, so nothing waits for a free connection either.

Errors Redis returns come back as :class:`redis.exceptions.ResponseError` (what redis-py
raises), so callers handle both clients alike. A lost connection fails the calls in flight
with :class:`ConnectionError`; the next call connects again. A call that gets no reply in
``timeout`` seconds fails with :class:`TimeoutError`, with every other call in flight, and
closes the connection (their replies could no longer be matched); one timer per connection
watches the oldest call.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from typing import Any
from urllib.parse import unquote, urlparse

import hiredis
from redis.exceptions import ResponseError


def pack(args: tuple[str | bytes, ...]) -> bytes:
    """One command in RESP (an array of bulk strings)."""
    return b"*%d\r\n" % len(args) + bulks(args)


def bulks(args: tuple[str | bytes, ...]) -> bytes:
    """The bulk strings of a command, without the array's header."""
    out = []
    append = out.append
    for arg in args:
        data = arg if arg.__class__ is bytes else arg.encode()  # type: ignore[union-attr]
        append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class _Protocol(asyncio.Protocol):
    def __init__(self, timeout: float = 10.0) -> None:
        self.reader = hiredis.Reader(encoding="utf-8", replyError=ResponseError)
        self.waiting: deque[tuple[asyncio.Future[Any], float]] = deque()  # (reply, deadline)
        self.transport: asyncio.Transport | None = None
        self.buffer: list[bytes] = []
        self.lost: Exception | None = None
        self.timeout = timeout
        self.watchdog: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        waiting = self.waiting
        while (reply := self.reader.gets()) is not False:
            future = waiting.popleft()[0]
            if not future.done():
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = ConnectionError(f"Redis connection lost: {exc or 'closed'}")
        self._fail(self.lost)

    def _fail(self, error: Exception) -> None:
        if self.watchdog is not None:
            self.watchdog.cancel()
            self.watchdog = None
        while self.waiting:
            future = self.waiting.popleft()[0]
            if not future.done():
                future.set_exception(error)

    def watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """One timer per connection instead of one per call: when the oldest call in
        flight is past its deadline, every call in flight fails and the connection closes
        (the replies still coming could no longer be matched)."""
        self.watchdog = None
        if not self.waiting:
            return
        deadline = self.waiting[0][1]
        if loop.time() < deadline:
            self.watchdog = loop.call_at(deadline, self.watch, loop)
            return
        self.lost = TimeoutError(f"no reply from Redis in {self.timeout:g} s")
        self._fail(self.lost)
        if self.transport is not None:
            self.transport.abort()

    def flush(self) -> None:
        if self.buffer and self.transport is not None and self.lost is None:
            self.transport.write(b"".join(self.buffer))
        self.buffer.clear()


class ScriptLane:
    """Commands and scripts over one pipelined connection to ``host:port`` (database
    ``db``); connects on first use."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 6379,
        db: int = 0,
        *,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.db = host, port, db
        self.username, self.password = username, password
        self.timeout = timeout
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Lock | None = None
        self._loaded: set[str] = set()
        self._heads: dict[str, bytes] = {}

    def _head(self, sha: str) -> bytes:
        """``EVALSHA <sha> 0`` as RESP bulk strings (the array header comes with the args)."""
        head = self._heads[sha] = bulks(("EVALSHA", sha, "0"))
        return head

    @classmethod
    def from_url(cls, url: str, timeout: float = 10.0) -> ScriptLane:
        """From a ``redis://[user:password@]host[:port][/db]`` URL (TCP only)."""
        parts = urlparse(url)
        if parts.scheme != "redis":
            raise ValueError(f"the script lane speaks plain TCP redis://, not {parts.scheme}://")
        db = int(parts.path.strip("/") or 0)
        return cls(
            parts.hostname or "127.0.0.1",
            parts.port or 6379,
            db,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            timeout=timeout,
        )

    async def _connect(self) -> _Protocol:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            protocol = self._protocol
            if protocol is not None and protocol.lost is None:
                return protocol
            loop = asyncio.get_running_loop()
            _, protocol = await asyncio.wait_for(
                loop.create_connection(lambda: _Protocol(self.timeout), self.host, self.port),
                self.timeout,
            )
            self._protocol = protocol
            self._loaded.clear()  # a restarted Redis has no scripts
            if self.password is not None:
                auth = (self.username, self.password) if self.username else (self.password,)
                await self._send(protocol, pack(("AUTH", *auth)))
            if self.db:
                await self._send(protocol, pack(("SELECT", str(self.db))))
            return protocol

    async def _send(self, protocol: _Protocol, command: bytes) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        protocol.waiting.append((future, loop.time() + self.timeout))
        if protocol.watchdog is None:
            protocol.watchdog = loop.call_later(self.timeout, protocol.watch, loop)
        if not protocol.buffer:
            loop.call_soon(protocol.flush)  # everything issued in this turn: one write
        protocol.buffer.append(command)
        reply = await future
        if isinstance(reply, ResponseError):
            raise reply
        return reply

    async def execute(self, *args: str | bytes) -> Any:
        """Run one command; Redis errors raise :class:`ResponseError`."""
        protocol = self._protocol
        if protocol is None or protocol.lost is not None:
            protocol = await self._connect()
        return await self._send(protocol, pack(args))

    async def script(self, body: str, sha: str, args: tuple[str, ...]) -> Any:
        """``EVALSHA`` (loading ``body`` first when Redis does not know it)."""
        if sha not in self._loaded:
            await self.execute("SCRIPT", "LOAD", body)
            self._loaded.add(sha)
        protocol = self._protocol
        if protocol is None or protocol.lost is not None:
            protocol = await self._connect()
        try:  # EVALSHA sha 0, packed once per script
            head = self._heads.get(sha) or self._head(sha)
            return await self._send(protocol, b"*%d\r\n%s%s" % (len(args) + 3, head, bulks(args)))
        except ResponseError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
            self._loaded.discard(sha)  # SCRIPT FLUSH meanwhile
            return await self.execute("EVAL", body, "0", *args)

    async def close(self) -> None:
        protocol, self._protocol = self._protocol, None
        if protocol is not None and protocol.watchdog is not None:
            protocol.watchdog.cancel()
            protocol.watchdog = None
        if protocol is not None and protocol.transport is not None:
            protocol.flush()
            protocol.transport.close()


def sha1(body: str) -> str:
    return hashlib.sha1(body.encode()).hexdigest()
