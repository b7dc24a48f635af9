"""Event subscriptions: a handler's failure is logged and stays with that handler.

A sync handler runs inline, in event order. An async handler (or a sync one returning an
awaitable) gets one worker task per subscription that awaits its calls one after another,
so it too sees events in order, and a slow handler never stalls the socket reader.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from fnmatch import fnmatchcase

from routing.ami.protocol import AMIMessage

EventHandler = Callable[[AMIMessage], object]


class Subscription:
    """``handler`` for events whose name matches ``pattern`` (fnmatch, case-insensitive)."""

    def __init__(self, pattern: str, handler: EventHandler, logger: logging.Logger) -> None:
        self.pattern = pattern
        self._pattern = pattern.lower()
        self._handler = handler
        self._log = logger
        self._queue: asyncio.Queue[tuple[Awaitable[object], AMIMessage]] | None = None
        self._worker: asyncio.Task[None] | None = None
        self.failures = 0

    @property
    def has_worker(self) -> bool:
        return self._worker is not None

    def matches(self, event_name: str) -> bool:
        return fnmatchcase(event_name.lower(), self._pattern)

    def deliver(self, event: AMIMessage) -> None:
        """Call the handler; never raises."""
        try:
            result = self._handler(event)
        except Exception:
            self._failed(event)
            return
        if inspect.isawaitable(result):
            if self._queue is None:
                self._queue = asyncio.Queue()
                self._worker = asyncio.create_task(self._work(self._queue))
            self._queue.put_nowait((result, event))

    async def _work(self, queue: asyncio.Queue[tuple[Awaitable[object], AMIMessage]]) -> None:
        while True:
            awaitable, event = await queue.get()
            try:
                await awaitable
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
                self._failed(event)  # the handler cancelled itself (e.g. an inner timeout)
            except Exception:
                self._failed(event)

    def _failed(self, event: AMIMessage) -> None:
        self.failures += 1
        self._log.exception(
            "AMI event handler %r for %r failed on %s (connection kept)",
            self._handler,
            self.pattern,
            event.event or "event",
        )

    async def stop(self) -> None:
        """Cancel the worker; calls still queued are dropped (their coroutines closed)."""
        worker, queue = self._worker, self._queue
        self._worker = self._queue = None
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        while queue is not None and not queue.empty():
            pending, _event = queue.get_nowait()
            if inspect.iscoroutine(pending):
                pending.close()
