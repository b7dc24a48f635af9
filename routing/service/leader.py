"""Which router instance acts on AMI events: exactly one at a time.

Every instance connected to Asterisk's AMI receives every event. Events that change the
routing state (a caller waiting, an agent answering, a hang-up) must be acted on once, so
the instances share a lease in Redis: the holder acts, the others drop those events. A
holder that dies stops renewing; another instance takes the lease after ``ttl_s`` and
reconciles with what AMI reports (events in the gap were missed). Embedded mode has one
instance: :class:`SoleLeader` always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

# Renew only our own lease; give it up only if it is ours.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

OnLead = Callable[[], Awaitable[None]]


class Leadership(Protocol):
    """Whether this instance acts on AMI events now."""

    @property
    def is_leader(self) -> bool: ...

    async def start(self, on_lead: OnLead | None = None) -> None: ...

    async def close(self) -> None: ...


class SoleLeader:
    """One instance, no contest: always the leader."""

    is_leader = True

    async def start(self, on_lead: OnLead | None = None) -> None:
        if on_lead is not None:
            await on_lead()

    async def close(self) -> None:
        return None


class RedisLease:
    """A lease in Redis (``SET NX PX``), renewed every ``ttl_s / 3`` by its holder.

    ``on_lead`` runs each time this instance becomes the leader (first start included).
    A Redis error makes this instance step down until it can renew again: two leaders for a
    moment are worse than none, since the state's atomic transitions make a missed event
    recoverable (reconciliation) but a double Redirect is heard by the caller.
    """

    def __init__(
        self,
        client: Any,
        key: str,
        *,
        ttl_s: float = 3.0,
        instance: str | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.client = client
        self.key = key
        self.ttl_ms = int(ttl_s * 1000)
        self.instance = instance or uuid.uuid4().hex
        self._leading = False
        self._log = logger or logging.getLogger("routing.leader")
        self._task: asyncio.Task[None] | None = None
        self._closing = False  # the loop stops on it too (see Router.close)
        self._on_lead: OnLead | None = None
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    @property
    def is_leader(self) -> bool:
        return self._leading

    async def start(self, on_lead: OnLead | None = None) -> None:
        self._on_lead = on_lead
        await self._round()
        self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._leading:
            self._leading = False
            with contextlib.suppress(Exception):  # best effort: the lease expires anyway
                await self._release(keys=[self.key], args=[self.instance])

    async def _run(self) -> None:
        while not self._closing:
            await asyncio.sleep(self.ttl_ms / 3000)
            await self._round()

    async def _round(self) -> None:
        try:
            if self._leading:
                held = bool(await self._renew(keys=[self.key], args=[self.instance, self.ttl_ms]))
            else:
                held = bool(await self.client.set(self.key, self.instance, nx=True, px=self.ttl_ms))
        except Exception as exc:  # Redis down: step down, try again next round
            if self._leading:
                self._log.warning("routing lease %s: stepping down (%s)", self.key, exc)
            self._leading = False
            return
        became = held and not self._leading
        if self._leading and not held:
            self._log.warning("routing lease %s lost to another instance", self.key)
        self._leading = held
        if became:
            self._log.info("instance %s leads AMI event handling", self.instance)
            if self._on_lead is not None:
                try:
                    await self._on_lead()
                except Exception:
                    self._log.exception("reconciling after taking the lease failed")
