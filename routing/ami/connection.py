"""One TCP connection to the Asterisk Manager: banner, actions matched by ActionID, events out.

It never reconnects and never logs in: :class:`routing.ami.client.AMIClient` does both. When
the socket ends, every action still waiting fails with :class:`AMIUnavailable` and ``lost``
resolves (to the error, or None on a clean EOF).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from routing.ami.errors import AMIActionError, AMIProtocolError, AMITimeout, AMIUnavailable
from routing.ami.protocol import (
    AMIMessage,
    FieldValue,
    MessageAssembler,
    decode_line,
    encode_action,
    parse_banner,
)

ActionResult = AMIMessage | list[AMIMessage]


@dataclass(slots=True)
class _Pending:
    name: str
    future: asyncio.Future[ActionResult]
    items: list[AMIMessage] | None = field(default=None)  # a list response in progress


class AMIConnection:
    """A logged-out AMI socket; build it with :meth:`open`."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        version: str,
        on_event: Callable[[AMIMessage], None],
        logger: logging.Logger,
    ) -> None:
        self.version = version
        self._reader = reader
        self._writer = writer
        self._on_event = on_event
        self._log = logger
        self._pending: dict[str, _Pending] = {}
        self._ids = itertools.count(1)
        self._prefix = secrets.token_hex(4)
        self._assembler = MessageAssembler()
        self._abort_reason: BaseException | None = None
        self.lost: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        self._reader_task = asyncio.create_task(self._read_loop())

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        *,
        on_event: Callable[[AMIMessage], None],
        timeout: float,  # noqa: ASYNC109 - for connect and banner separately
        logger: logging.Logger,
        max_line: int = 1 << 20,
    ) -> AMIConnection:
        """Connect and read the banner: AMIUnavailable if refused, AMIProtocolError if no AMI."""
        where = f"{host}:{port}"
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(host, port, limit=max_line)
        except TimeoutError:
            raise AMIUnavailable(f"AMI {where}: no connection within {timeout} s") from None
        except OSError as exc:
            raise AMIUnavailable(f"AMI {where}: {exc.strerror or exc}") from exc
        raw = b""
        try:
            async with asyncio.timeout(timeout):
                raw = await reader.readline()
            version = parse_banner(decode_line(raw))
        except (TimeoutError, ValueError, OSError) as exc:
            writer.close()
            reason = "closed before its banner" if isinstance(exc, ValueError) and not raw else exc
            raise AMIProtocolError(f"{where} is not an Asterisk Manager: {reason}") from None
        return cls(reader, writer, version, on_event, logger)

    @property
    def closed(self) -> bool:
        return self.lost.done()

    async def action(
        self,
        name: str,
        fields: Mapping[str, FieldValue],
        timeout: float,  # noqa: ASYNC109 - the deadline also retires the pending ActionID
    ) -> ActionResult:
        """Send one action and await its response (a list for ``EventList`` actions).

        Raises AMIActionError on ``Response: Error``, AMITimeout, AMIUnavailable.
        """
        if self.closed:
            raise AMIUnavailable(f"AMI connection closed; {name} not sent")
        action_id = f"{self._prefix}-{next(self._ids)}"
        data = encode_action(name, action_id, fields)
        future: asyncio.Future[ActionResult] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = _Pending(name, future)
        try:
            async with asyncio.timeout(timeout):
                self._writer.write(data)
                await self._writer.drain()
                result = await future
        except TimeoutError:
            raise AMITimeout(f"AMI action {name} got no response within {timeout} s") from None
        except OSError as exc:
            raise AMIUnavailable(f"AMI connection failed while sending {name}: {exc}") from exc
        finally:
            self._pending.pop(action_id, None)
        if isinstance(result, AMIMessage) and result.response.lower() == "error":
            raise AMIActionError(name, result)
        return result

    def abort(self, reason: str = "closed by the client") -> None:
        """Drop the socket now; the read loop ends and ``lost`` resolves to ``reason``."""
        self._abort_reason = AMIUnavailable(reason)
        self._writer.close()
        self._reader_task.cancel()

    async def aclose(self) -> None:
        self.abort()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader_task
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()

    async def _read_loop(self) -> None:
        error: BaseException | None = None
        try:
            while True:
                raw = await self._reader.readline()
                if not raw.endswith(b"\n"):
                    break  # EOF, possibly in the middle of a line
                message = self._assembler.push(decode_line(raw))
                if message is not None:
                    self._route(message)
        except (OSError, ValueError) as exc:  # ValueError: a line or message over the limits
            error = exc
            self._log.warning("AMI connection failed: %s", exc)
        finally:
            self._shutdown(error or self._abort_reason)

    def _route(self, message: AMIMessage) -> None:
        pending = self._pending.get(message.action_id) if message.action_id else None
        if pending is not None:
            eventlist = message.get_ci("EventList").lower()
            if message.response:
                if eventlist == "start" and message.response.lower() != "error":
                    pending.items = [message]
                else:
                    self._resolve(pending, message)
                return
            if pending.items is not None:
                pending.items.append(message)
                if eventlist == "complete":
                    self._resolve(pending, pending.items)
                return
        if message.event:
            try:
                self._on_event(message)
            except Exception:  # the sink contains handler errors; this guards the reader itself
                self._log.exception("AMI event sink failed on %s", message.event)
        else:
            self._log.debug("AMI response to no waiting action: %r", message)

    @staticmethod
    def _resolve(pending: _Pending, result: ActionResult) -> None:
        if not pending.future.done():
            pending.future.set_result(result)

    def _shutdown(self, error: BaseException | None) -> None:
        for pending in self._pending.values():
            if not pending.future.done():
                lost = AMIUnavailable(f"AMI connection lost before the response to {pending.name}")
                pending.future.set_exception(lost)
        self._pending.clear()
        self._writer.close()
        if not self.lost.done():
            self.lost.set_result(error)
