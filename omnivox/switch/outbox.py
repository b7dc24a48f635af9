"""The outbox worker: sends queued text messages through a :class:`SmsSender`, retrying with
exponential backoff; each message ends ``sent`` or ``failed``. Several instances may run one
each: a message is claimed with a lease before it is sent."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from customers.store.switch import SmsRecord
from omnivox.switch.exceptions import SendError
from omnivox.switch.webhook import SmsSender

log = logging.getLogger("omnivox.switch")


class OutboxStore(Protocol):
    async def claim_due_sms(
        self, *, now: datetime, lease: timedelta, limit: int = 20
    ) -> list[SmsRecord]: ...

    async def sms_attempted(
        self,
        sms_id: int,
        *,
        status: str,
        attempts: int,
        next_attempt_at: datetime | None = None,
        error: str | None = None,
        now: datetime | None = None,
    ) -> None: ...


def backoff(attempts: int, base_s: float, cap_s: float) -> float:
    """Seconds before the next try after ``attempts`` failed ones: base, 2×base, 4×base..."""
    return min(cap_s, base_s * 2 ** max(0, attempts - 1))


class OutboxWorker:
    """``await run()`` until cancelled; ``wake()`` when a message was queued; ``run_once()``
    sends what is due now (tests, a burst)."""

    def __init__(
        self,
        store: OutboxStore,
        sender: SmsSender,
        *,
        clock: Callable[[], datetime],
        max_attempts: int = 6,
        base_s: float = 2.0,
        cap_s: float = 300.0,
        poll_s: float = 5.0,
        lease: timedelta = timedelta(seconds=60),
    ) -> None:
        self._store = store
        self._sender = sender
        self._clock = clock
        self._max_attempts = max_attempts
        self._base_s = base_s
        self._cap_s = cap_s
        self._poll_s = poll_s
        self._lease = lease
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        try:
            while True:
                self._wake.clear()
                try:
                    await self.run_once()
                except Exception:  # the database away for a moment: try again next round
                    log.exception("SMS outbox round failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_s)
        finally:
            await self._sender.close()

    async def run_once(self) -> int:
        """Try every due message once; returns how many were sent."""
        sent = 0
        for message in await self._store.claim_due_sms(now=self._clock(), lease=self._lease):
            sent += await self._attempt(message)
        return sent

    async def _attempt(self, message: SmsRecord) -> int:
        attempts = message.attempts + 1
        payload: dict[str, Any] = {
            "id": message.id,
            "key": message.key,
            "to": message.to,
            "body": message.body,
        }
        try:
            await self._sender.send(payload)
        except SendError as exc:
            final = not exc.retry or attempts >= self._max_attempts
            delay = backoff(attempts, self._base_s, self._cap_s)
            log.warning(
                "SMS %s attempt %d%s: %s", message.key, attempts, " (final)" if final else "", exc
            )
            await self._store.sms_attempted(
                message.id,
                status="failed" if final else "queued",
                attempts=attempts,
                next_attempt_at=None if final else self._clock() + timedelta(seconds=delay),
                error=str(exc),
            )
            return 0
        await self._store.sms_attempted(message.id, status="sent", attempts=attempts)
        return 1
