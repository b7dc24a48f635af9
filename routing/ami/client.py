"""The AMI client Omnivox uses: login, action timeouts, contained handlers, reconnect.

It owns its tasks (the supervisor that reconnects with backoff, the optional keepalive, one
worker per async handler); :meth:`AMIClient.close` ends them all. Subscriptions live on the
client, not on a connection, so they survive reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from routing.ami.actions import ActionResult, CallControl
from routing.ami.backoff import Backoff
from routing.ami.connection import AMIConnection
from routing.ami.dispatch import EventHandler, Subscription
from routing.ami.errors import (
    AMIActionError,
    AMIAuthError,
    AMIError,
    AMITimeout,
    AMIUnavailable,
)
from routing.ami.protocol import AMIMessage, FieldValue


class AMIClient(CallControl):
    """A manager session to ``host:port`` as ``username``; :meth:`connect` before use."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        secret: str,
        *,
        action_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        reconnect_backoff: tuple[float, float] = (0.5, 30.0),
        ping_interval: float | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self._secret = secret
        self.action_timeout = action_timeout
        self.connect_timeout = connect_timeout
        self._backoff = Backoff(*reconnect_backoff)
        self._ping_interval = ping_interval
        self._log = logger or logging.getLogger("routing.ami")
        self._conn: AMIConnection | None = None
        self._closing = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._supervisor: asyncio.Task[None] | None = None
        self._subscriptions: list[Subscription] = []
        self._reconnect_hooks: list[Subscription] = []
        self.version = ""  # the AMI protocol version from the banner
        self.reconnects = 0  # successful re-logins after a lost connection

    @property
    def connected(self) -> bool:
        """Logged in on a live socket."""
        return self._conn is not None and not self._conn.closed

    async def connect(self) -> None:
        """Connect and log in; AMIAuthError, AMIUnavailable or AMIProtocolError if not.

        After this the client reconnects by itself until :meth:`close`.
        """
        if self.connected or (self._supervisor is not None and not self._supervisor.done()):
            return  # up, or the supervisor is already reconnecting
        self._closing = False
        await self._open()
        self._supervisor = self._spawn(self._supervise())
        if self._ping_interval:
            self._spawn(self._keepalive(self._ping_interval))

    async def close(self) -> None:
        """Log off, stop reconnecting and every handler worker."""
        self._closing = True
        tasks, self._tasks = self._tasks, set()
        for task in tasks:
            task.cancel()
        conn, self._conn = self._conn, None
        if conn is not None:
            if not conn.closed:
                with contextlib.suppress(AMIError):
                    await conn.action("Logoff", {}, min(1.0, self.action_timeout))
            await conn.aclose()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sub in self._subscriptions + self._reconnect_hooks:
            await sub.stop()

    async def send(
        self,
        name: str,
        fields: Mapping[str, FieldValue],
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the action's deadline, then AMITimeout
    ) -> ActionResult:
        """Send an action with explicit fields; see :meth:`action`."""
        conn = self._conn
        if conn is None or conn.closed:
            state = "closed" if self._closing else "reconnecting"
            raise AMIUnavailable(f"AMI {self.host}:{self.port} is not connected ({state})")
        return await conn.action(name, fields, self.action_timeout if timeout is None else timeout)

    async def action(self, name: str, **fields: FieldValue) -> ActionResult:
        """Send ``Action: name`` with ``fields``; the response, or a list of messages for
        actions answering with an event list (``[response, *events, ...Complete]``).

        Raises AMITimeout, AMIActionError (``Response: Error``), AMIUnavailable.
        """
        return await self.send(name, fields)

    def on_event(self, pattern: str, handler: EventHandler) -> Callable[[], None]:
        """Call ``handler(event)`` for events named like ``pattern`` (fnmatch, any case).

        Exceptions from the handler are logged and never reach the connection. Returns a
        function that unsubscribes.
        """
        sub = Subscription(pattern, handler, self._log)
        self._subscriptions.append(sub)

        def unsubscribe() -> None:
            if sub in self._subscriptions:
                self._subscriptions.remove(sub)
                if sub.has_worker:
                    self._spawn(sub.stop())

        return unsubscribe

    def on_reconnect(self, handler: Callable[[], object]) -> None:
        """Call ``handler()`` after each re-login (events were missed: resynchronise)."""
        self._reconnect_hooks.append(Subscription("*", lambda _m: handler(), self._log))

    def expect(
        self, pattern: str, where: Callable[[AMIMessage], bool] | None = None
    ) -> asyncio.Future[AMIMessage]:
        """A future for the first matching event from now on (subscribe before acting)."""
        future: asyncio.Future[AMIMessage] = asyncio.get_running_loop().create_future()

        def check(event: AMIMessage) -> None:
            if not future.done() and (where is None or where(event)):
                future.set_result(event)

        unsubscribe = self.on_event(pattern, check)
        future.add_done_callback(lambda _f: unsubscribe())
        return future

    async def wait_event(
        self,
        pattern: str,
        where: Callable[[AMIMessage], bool] | None = None,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - raises AMITimeout, not TimeoutError
    ) -> AMIMessage:
        """The next matching event; AMITimeout after ``timeout`` seconds."""
        future = self.expect(pattern, where)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise AMITimeout(f"no AMI event {pattern} within {timeout} s") from None
        finally:
            future.cancel()

    # -- connection lifecycle -------------------------------------------------------------

    async def _open(self) -> None:
        conn = await AMIConnection.open(
            self.host,
            self.port,
            on_event=self._dispatch,
            timeout=self.connect_timeout,
            logger=self._log,
        )
        login = {"Username": self.username, "Secret": self._secret, "Events": "on"}
        try:
            await conn.action("Login", login, self.action_timeout)
        except AMIActionError as exc:
            await conn.aclose()
            message = exc.response.get_ci("Message", "refused")
            raise AMIAuthError(
                f"AMI login as {self.username!r} at {self.host}:{self.port} failed: {message}"
                " (check the user and secret in manager.conf)"
            ) from None
        except BaseException:
            await conn.aclose()
            raise
        self.version = conn.version
        self._conn = conn

    async def _supervise(self) -> None:
        while not self._closing:
            conn = self._conn
            if conn is None:
                return
            error = await asyncio.shield(conn.lost)
            if self._closing:
                return
            self._conn = None
            self._log.warning(
                "AMI connection to %s:%s lost (%s); reconnecting",
                self.host,
                self.port,
                error or "closed by Asterisk",
            )
            await self._reconnect()

    async def _reconnect(self) -> None:
        while not self._closing:
            delay = self._backoff.next()
            await asyncio.sleep(delay)
            try:
                await self._open()
            except AMIError as exc:
                log = self._log.error if isinstance(exc, AMIAuthError) else self._log.warning
                log("AMI reconnect attempt %d failed: %s", self._backoff.attempts, exc)
                continue
            self._backoff.reset()
            self.reconnects += 1
            self._log.info("AMI reconnected to %s:%s", self.host, self.port)
            for hook in self._reconnect_hooks:
                hook.deliver(AMIMessage())
            return

    async def _keepalive(self, interval: float) -> None:
        """Ping; a link that stops answering is dropped so the supervisor reconnects."""
        while not self._closing:
            await asyncio.sleep(interval)
            conn = self._conn
            if conn is None or conn.closed:
                continue
            try:
                await conn.action("Ping", {}, self.action_timeout)
            except AMITimeout:
                self._log.warning("AMI did not answer Ping; dropping the connection")
                conn.abort(f"no answer to Ping within {self.action_timeout} s")
            except AMIError:
                continue

    def _dispatch(self, event: AMIMessage) -> None:
        name = event.event
        for sub in list(self._subscriptions):
            if sub.matches(name):
                sub.deliver(event)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
