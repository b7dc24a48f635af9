"""The SMS outbox and the webhook sender against a real local HTTP server: JSON posted with
the message's key, retried with backoff on 5xx and network errors, failed for good on 4xx or
after the last attempt, and sent once even with two workers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from customers.store import CustomerStore
from omnivox.switch import OutboxWorker, WebhookSender
from omnivox.switch.outbox import backoff


class Gateway:
    """A webhook receiver answering ``statuses`` in turn (then 200), recording each request."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.app = web.Application()
        self.app.router.add_post("/sms", self.handle)
        self.server = TestServer(self.app)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((await request.json(), request.headers.get("Idempotency-Key")))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.json_response({"ok": status < 300}, status=status)

    @property
    def url(self) -> str:
        return str(self.server.make_url("/sms"))


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    yield Gateway()


async def _started(gateway: Gateway) -> Gateway:
    await gateway.server.start_server()
    return gateway


class Clock:
    """Starts a moment after the real time the store stamps queued messages with."""

    def __init__(self) -> None:
        self.now = self.start = datetime.now(UTC) + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff(n, 2.0, 30.0) for n in range(1, 7)] == [2, 4, 8, 16, 30, 30]


async def test_retried_on_500_then_sent(sqlite_store: CustomerStore) -> None:
    gateway = await _started(Gateway(500, 503))
    clock = Clock()
    sender = WebhookSender(gateway.url)
    worker = OutboxWorker(sqlite_store, sender, clock=clock, base_s=2.0)
    try:
        await sqlite_store.queue_sms("k1", "+14155550123", "Continue: https://x/continue/t")
        assert await worker.run_once() == 0
        first = await sqlite_store.sms("k1")
        assert first is not None and first.status == "queued" and first.attempts == 1
        assert first.next_attempt_at == clock.start + timedelta(seconds=2)
        assert "HTTP 500" in (first.last_error or "")
        assert await worker.run_once() == 0  # not due yet: nothing is posted
        assert len(gateway.received) == 1
        clock.now += timedelta(seconds=2)
        assert await worker.run_once() == 0  # 503
        second = await sqlite_store.sms("k1")
        assert second is not None and second.next_attempt_at == clock.now + timedelta(seconds=4)
        clock.now += timedelta(seconds=4)
        assert await worker.run_once() == 1
    finally:
        await sender.close()
        await gateway.server.close()
    sent = await sqlite_store.sms("k1")
    assert sent is not None and (sent.status, sent.attempts) == ("sent", 3)
    body, key = gateway.received[-1]
    assert body == {
        "id": sent.id,
        "key": "k1",
        "to": "+14155550123",
        "body": "Continue: https://x/continue/t",
    }
    assert key == "k1" and len(gateway.received) == 3


async def test_a_4xx_fails_for_good_and_an_unreachable_gateway_runs_out_of_attempts(
    sqlite_store: CustomerStore,
) -> None:
    gateway = await _started(Gateway(400))
    clock = Clock()
    sender = WebhookSender(gateway.url)
    worker = OutboxWorker(sqlite_store, sender, clock=clock)
    try:
        await sqlite_store.queue_sms("bad", "+14155550123", "x")
        await worker.run_once()
    finally:
        await sender.close()
        await gateway.server.close()
    failed = await sqlite_store.sms("bad")
    assert failed is not None and (failed.status, failed.attempts) == ("failed", 1)

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    sender = WebhookSender(f"http://127.0.0.1:{dead}/sms", timeout_s=2)
    worker = OutboxWorker(sqlite_store, sender, clock=clock, max_attempts=3, base_s=1, cap_s=1)
    try:
        await sqlite_store.queue_sms("down", "+14155550123", "x")
        for _ in range(3):
            await worker.run_once()
            clock.now += timedelta(seconds=1)
    finally:
        await sender.close()
    down = await sqlite_store.sms("down")
    assert down is not None and (down.status, down.attempts) == ("failed", 3)
    assert "127.0.0.1" in (down.last_error or "")


async def test_the_running_worker_sends_on_wake_and_two_workers_send_once(
    store: CustomerStore,
) -> None:
    gateway = await _started(Gateway())
    workers = [
        OutboxWorker(store, WebhookSender(gateway.url), clock=lambda: datetime.now(UTC))
        for _ in range(2)
    ]
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        for n in range(5):
            await store.queue_sms(f"m{n}", "+14155550123", f"message {n}")
        for w in workers:
            w.wake()
        for _ in range(200):
            if len(gateway.received) >= 5:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await gateway.server.close()
    assert sorted(body["key"] for body, _ in gateway.received) == [f"m{n}" for n in range(5)]
    for n in range(5):
        record = await store.sms(f"m{n}")
        assert record is not None and record.status == "sent"
