"""The FastAGI TCP server: one task per call, every failure contained to its own call."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ivr.fastagi.channel import AGIChannel, CommandHook, read_line
from ivr.fastagi.errors import (
    AGIError,
    AGIHangup,
    AGIProtocolError,
    AGITimeout,
    FastAGIStartupError,
)
from ivr.fastagi.protocol import AGIEnvironment, parse_environment

Handler = Callable[[AGIChannel], Awaitable[None]]
MAX_ENV_LINES = 256


@dataclass(slots=True)
class ServerStats:
    """Counters since start; read them for metrics."""

    calls: int = 0  # connections that delivered an environment and reached the handler
    completed: int = 0  # handler returned normally
    hangups: int = 0  # handler ended by the caller hanging up
    failures: int = 0  # handler raised, timed out or met a protocol error
    bad_connections: int = 0  # closed, silent, garbage or over-long before the environment ended
    rejected: int = 0  # refused because max_connections were open
    commands: int = 0


class FastAGIServer:
    """Serve FastAGI: read each call's environment, run ``handler(channel)``, close the socket.

    After the handler returns, ``status_variable`` (OMNIVOX_STATUS) is set to OK unless the
    handler set it itself; after it raises, to FAILED, so the dialplan takes its fallback.
    Asterisk continues the dialplan only once the socket is closed, which always happens.
    """

    def __init__(
        self,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 4573,
        *,
        command_timeout: float = 10.0,
        media_timeout: float = 600.0,
        env_timeout: float = 5.0,
        max_line: int = 16384,
        max_connections: int | None = None,
        close_grace: float = 5.0,
        status_variable: str | None = "OMNIVOX_STATUS",
        backlog: int = 1024,
        on_command: CommandHook | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self._handler = handler
        self._host = host
        self._requested_port = port
        self._command_timeout = command_timeout
        self._media_timeout = media_timeout
        self._env_timeout = env_timeout
        self._max_line = max_line
        self._max_connections = max_connections
        self._close_grace = close_grace
        self._status_variable = status_variable
        self._backlog = backlog
        self._on_command = on_command
        self._log = logger or logging.getLogger("ivr.fastagi")
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._calls = 0
        self.stats = ServerStats()

    async def start(self) -> None:
        """Start listening; FastAGIStartupError (an OSError) names host:port on failure."""
        try:
            self._server = await asyncio.start_server(
                self._serve,
                self._host,
                self._requested_port,
                limit=self._max_line,
                backlog=self._backlog,
            )
        except OSError as exc:
            raise FastAGIStartupError(
                exc.errno,
                f"FastAGI server cannot listen on {self._host}:{self._requested_port}: "
                f"{os.strerror(exc.errno) if exc.errno else exc}",
            ) from exc
        self._log.info("FastAGI listening on %s:%d", self._host, self.port)

    @property
    def port(self) -> int:
        """The bound port (the real one when started with port=0)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("FastAGI server is not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def active_calls(self) -> int:
        """Calls whose handler is running now."""
        return self._calls

    @property
    def active_connections(self) -> int:
        """Open connections, including those still sending their environment."""
        return len(self._connections)

    async def close(self, grace: float | None = None) -> None:
        """Stop accepting; give running calls ``grace`` seconds, then cancel them."""
        if self._server is not None:
            self._server.close()
        grace = self._close_grace if grace is None else grace
        if self._connections:
            _, pending = await asyncio.wait(set(self._connections), timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=grace)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        self._log.info("FastAGI server closed")

    async def __aenter__(self) -> FastAGIServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        peer = _peer(writer)
        try:
            if self._max_connections is not None and len(self._connections) > self._max_connections:
                self.stats.rejected += 1
                open_now = len(self._connections) - 1
                self._log.warning("FastAGI: refused %s, %d connections open", peer, open_now)
                return
            env = await self._read_environment(reader, peer)
            if env is not None:
                channel = AGIChannel(
                    reader,
                    writer,
                    env,
                    command_timeout=self._command_timeout,
                    media_timeout=self._media_timeout,
                    on_command=self._count_command,
                )
                await self._run_call(channel)
        except Exception:  # a bug here must cost one call, never the server
            self._log.exception("FastAGI: internal error serving %s", peer)
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def _read_environment(
        self, reader: asyncio.StreamReader, peer: str
    ) -> AGIEnvironment | None:
        lines: list[str] = []
        try:
            async with asyncio.timeout(self._env_timeout):
                while True:
                    line = await read_line(reader)
                    if not line.strip():
                        break
                    lines.append(line)
                    if len(lines) > MAX_ENV_LINES:
                        raise AGIProtocolError(f"environment longer than {MAX_ENV_LINES} lines")
            if not lines:
                raise AGIProtocolError("empty environment")
            return parse_environment(lines)
        except TimeoutError:
            reason = f"no complete environment within {self._env_timeout} s"
        except AGIHangup:
            reason = "closed before the environment ended" if lines else "connected and closed"
        except AGIProtocolError as exc:
            reason = str(exc)
        self.stats.bad_connections += 1
        self._log.warning("FastAGI: dropped connection from %s: %s", peer, reason)
        return None

    async def _run_call(self, channel: AGIChannel) -> None:
        env = channel.env
        where = f"{env.script or '?'} on {env.channel or '?'} (uniqueid {env.uniqueid or '?'})"
        self.stats.calls += 1
        self._calls += 1
        try:
            await self._handler(channel)
        except AGIHangup as exc:
            self.stats.hangups += 1
            self._log.info("FastAGI: call %s ended by hang-up: %s", where, exc)
        except (AGITimeout, AGIProtocolError) as exc:
            self.stats.failures += 1
            self._log.error("FastAGI: call %s dropped: %s", where, exc)
        except asyncio.CancelledError:
            self.stats.failures += 1
            self._log.warning("FastAGI: call %s cancelled by server shutdown", where)
            await self._set_status(channel, "FAILED")
            raise
        except Exception:
            self.stats.failures += 1
            self._log.exception("FastAGI: handler failed for call %s", where)
            await self._set_status(channel, "FAILED")
        else:
            self.stats.completed += 1
            if self._status_variable not in channel.variables_set:
                await self._set_status(channel, "OK")
        finally:
            self._calls -= 1

    async def _set_status(self, channel: AGIChannel, value: str) -> None:
        if self._status_variable is None or not channel.connected:
            return
        try:
            limit = min(self._command_timeout, 2.0)
            await channel.command("SET VARIABLE", self._status_variable, value, timeout=limit)
        except AGIError as exc:
            self._log.info("FastAGI: could not set %s=%s: %s", self._status_variable, value, exc)

    def _count_command(self, name: str, seconds: float) -> None:
        self.stats.commands += 1
        if self._on_command is not None:
            self._on_command(name, seconds)


def _peer(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
