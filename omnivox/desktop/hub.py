"""``PopHub``: pushes screen-pops to agents' websockets on whichever instance holds them.

A pop is stored as pending (until the browser acknowledges it) and then published: in-process
straight to this process's sockets, or with Redis on the channel ``<prefix>agent:<id>`` that
every instance holding a socket of that agent subscribes to. A socket that (re)connects gets
every pending pop first, so a pop sent while it was down is delivered on reconnect; sockets drop
duplicates by pop id. ``<prefix>hub`` carries instance-wide commands (end a signed-out session,
an agent's role or team changed).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from omnivox.desktop.popstore import MemoryPopStore, PopStore, RedisPopStore

SUBSCRIBE_TIMEOUT_S = 5.0
INBOX_SIZE = 1000


class Listener:
    """One websocket's inbox: the agents it watches and the messages waiting to be sent."""

    def __init__(self, session: str | None = None) -> None:
        self.session = session
        self.agents: set[int] = set()
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(INBOX_SIZE)
        self.ended: str | None = None  # why the hub wants this socket closed
        self._wake = asyncio.Event()

    def offer(self, message: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.end("too slow: messages were dropped; reconnect to get pending pops")

    def end(self, reason: str) -> None:
        self.ended = self.ended or reason
        self._wake.set()

    async def ended_wait(self) -> str:
        await self._wake.wait()
        return self.ended or "ended"


class PopHub:
    """``PopHub(redis=None, *, prefix="omnivox:desktop:")``; ``start()`` before use with Redis."""

    def __init__(
        self,
        redis: Any = None,
        *,
        prefix: str = "omnivox:desktop:",
        store: PopStore | None = None,
        clock: Callable[[], float] = time.time,
        logger: logging.Logger | None = None,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self.store: PopStore = store or (
            RedisPopStore(redis, prefix=prefix) if redis is not None else MemoryPopStore()
        )
        self._clock = clock
        self._log = logger or logging.getLogger("omnivox.desktop")
        self._listeners: dict[int, set[Listener]] = {}
        self._pubsub: Any = None
        self._task: asyncio.Task[None] | None = None
        self._subscribed: dict[str, asyncio.Event] = {}
        self._lock = asyncio.Lock()  # subscription changes and reconnects, one at a time
        self._seq = 0
        # told on every instance when an admin changed an agent's role or team
        self.on_agent_changed: Callable[[int], None] | None = None

    # --- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the Redis subscription (no-op in-process or when already started)."""
        if self._redis is None or self._task is not None:
            return
        async with self._lock:
            await self._open_pubsub()
        self._task = asyncio.create_task(self._listen(), name="pophub-listener")

    async def close(self) -> None:
        for listeners in list(self._listeners.values()):
            for listener in list(listeners):
                listener.end("server shutting down")
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None

    # --- what the rest of omnivox calls --------------------------------------------------------

    async def push(self, agent_id: int, pop: dict[str, Any]) -> dict[str, Any]:
        """Deliver ``pop`` to ``agent_id``'s sockets on any instance; pending until acked.

        Returns the pop as sent: with ``id`` (kept if given), ``seq``, ``agent_id`` and
        ``pushed_at`` (epoch seconds) added.
        """
        agent_id = _agent_id(agent_id)
        sent = dict(pop)
        now = self._clock()
        sent["id"] = str(sent.get("id") or uuid.uuid4().hex)
        # orders an agent's pending pops: microseconds, strictly increasing on this instance
        self._seq = max(int(now * 1_000_000), self._seq + 1)
        sent["seq"] = self._seq
        sent["agent_id"] = agent_id
        sent["pushed_at"] = now
        contact = sent.get("contact")
        record = None
        if isinstance(contact, dict) and contact.get("call_id"):
            record = {
                "call_id": str(contact["call_id"]),
                "agent_id": agent_id,
                "pop_id": sent["id"],
                "customer_id": contact.get("customer_id"),
                "journey_id": contact.get("journey_id"),
                "kind": contact.get("kind"),
                "service": contact.get("service"),
            }
        await self.store.record(agent_id, sent, record)
        await self._publish(agent_id, {"type": "pop", "agent": agent_id, "pop": sent})
        return sent

    async def notify(self, agent_id: int, message: dict[str, Any]) -> None:
        """Send a passing message (e.g. ``{"type": "state", ...}``); not kept if nobody hears."""
        agent_id = _agent_id(agent_id)
        await self._publish(agent_id, {"agent": agent_id, **message})

    async def ack(self, agent_id: int, pop_id: str) -> bool:
        """The browser showed the pop: it is no longer pending."""
        return await self.store.remove_pending(_agent_id(agent_id), str(pop_id))

    async def end_session(self, session: str) -> None:
        """Close the sockets of a signed-out session on every instance."""
        if self._redis is None:
            self._end_local(session)
        else:
            await self._redis.publish(self._control, json.dumps({"end_session": session}))

    async def agent_changed(self, agent_id: int) -> None:
        """Tell every instance the agent's role or team changed (``on_agent_changed``)."""
        if self._redis is None:
            self._changed_local(agent_id)
        else:
            await self._redis.publish(self._control, json.dumps({"agent_changed": agent_id}))

    def _changed_local(self, agent_id: int) -> None:
        if self.on_agent_changed is not None:
            self.on_agent_changed(agent_id)

    # --- sockets --------------------------------------------------------------------------------

    async def watch(self, listener: Listener, agent_id: int) -> None:
        """Route ``agent_id``'s messages to ``listener``, then offer it every pending pop."""
        async with self._lock:
            first = agent_id not in self._listeners
            self._listeners.setdefault(agent_id, set()).add(listener)
            listener.agents.add(agent_id)
            if first and self._pubsub is not None:
                await self._subscribe([self._channel(agent_id)])
        for pop in await self.store.pending(agent_id):
            listener.offer({"type": "pop", "agent": agent_id, "pop": pop, "redelivered": True})

    async def unwatch(self, listener: Listener, agent_id: int | None = None) -> None:
        """Stop routing ``agent_id`` (every agent if ``None``) to ``listener``."""
        async with self._lock:
            for aid in [agent_id] if agent_id is not None else list(listener.agents):
                listener.agents.discard(aid)
                left = self._listeners.get(aid, set())
                left.discard(listener)
                if not left:
                    self._listeners.pop(aid, None)
                    if self._pubsub is not None:
                        with contextlib.suppress(Exception):
                            await self._pubsub.unsubscribe(self._channel(aid))

    def watched(self) -> set[int]:
        """Agents with at least one socket on this instance."""
        return set(self._listeners)

    # --- internals ----------------------------------------------------------------------------

    @property
    def _control(self) -> str:
        return f"{self._prefix}hub"

    def _channel(self, agent_id: int) -> str:
        return f"{self._prefix}agent:{agent_id}"

    async def _publish(self, agent_id: int, message: dict[str, Any]) -> None:
        if self._redis is None:
            self._deliver(agent_id, message)
        else:
            await self._redis.publish(self._channel(agent_id), json.dumps(message))

    def _deliver(self, agent_id: int, message: dict[str, Any]) -> None:
        for listener in list(self._listeners.get(agent_id, ())):
            listener.offer(message)

    def _end_local(self, session: str) -> None:
        for listeners in list(self._listeners.values()):
            for listener in list(listeners):
                if listener.session == session:
                    listener.end("signed out")

    async def _open_pubsub(self) -> None:
        """A new subscription to the control channel and every watched agent's channel.

        Called before the listener loop runs or by the loop itself (reconnecting), so the
        confirmations are read here rather than by the loop.
        """
        self._pubsub = self._redis.pubsub()
        self._subscribed.clear()
        channels = [self._control, *(self._channel(a) for a in self._listeners)]
        await self._subscribe(channels, read_here=True)

    async def _subscribe(self, channels: list[str], *, read_here: bool = False) -> None:
        """SUBSCRIBE and wait until Redis confirms, so nothing published after is missed."""
        events = [self._subscribed.setdefault(c, asyncio.Event()) for c in channels]
        await self._pubsub.subscribe(*channels)
        if read_here:
            while not all(e.is_set() for e in events):
                message = await self._pubsub.get_message(timeout=SUBSCRIBE_TIMEOUT_S)
                if message is None:
                    raise TimeoutError(f"Redis did not confirm SUBSCRIBE {channels}")
                self._handle(message)
            return
        async with asyncio.timeout(SUBSCRIBE_TIMEOUT_S):
            await asyncio.gather(*(e.wait() for e in events))

    def _handle(self, message: dict[str, Any]) -> None:
        channel = _text(message.get("channel"))
        kind = message.get("type")
        if kind == "subscribe":
            self._subscribed.setdefault(channel, asyncio.Event()).set()
        elif kind == "unsubscribe":
            self._subscribed.pop(channel, None)
        elif kind == "message":
            try:
                data = json.loads(message["data"])
            except ValueError:
                self._log.warning("ignoring a non-JSON message on %s", channel)
                return
            if channel == self._control:
                if isinstance(data.get("end_session"), str):
                    self._end_local(data["end_session"])
                elif isinstance(data.get("agent_changed"), int):
                    self._changed_local(data["agent_changed"])
            elif channel.startswith(f"{self._prefix}agent:"):
                self._deliver(int(channel.rsplit(":", 1)[1]), data)

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            try:
                message = await self._pubsub.get_message(timeout=None)
                if message is not None:
                    self._handle(message)
                delay = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis went away: resubscribe, then resend what is pending
                self._log.warning("pop subscription lost (%s); reconnecting", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                await self._reconnect()

    async def _reconnect(self) -> None:
        try:
            async with self._lock:
                with contextlib.suppress(Exception):
                    await self._pubsub.aclose()
                await self._open_pubsub()
        except Exception as exc:
            self._log.warning("Redis still unavailable for pops: %s", exc)
            return
        for agent_id in self.watched():
            for pop in await self.store.pending(agent_id):
                self._deliver(agent_id, {"type": "pop", "agent": agent_id, "pop": pop})


def _agent_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"agent_id: expected an integer, got {value!r}")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"agent_id: expected an integer, got {value!r}") from None


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")
