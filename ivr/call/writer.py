"""Finished calls stored off the calls' path: a queue and one task that writes in batches."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from ivr.call.outcome import CallRecord

Save = Callable[[Sequence[CallRecord]], Awaitable[list[int | None]]]
Item = tuple[CallRecord, "asyncio.Future[int | None]"]


class CallWriter:
    """Stores finished calls in the background, in the order they were given.

    :meth:`submit` queues a record and returns at once (unless ``capacity`` records wait:
    then the call waits for room); its future gives the customer id once the record is stored
    (None if it could not be: ``save`` logs why). One task takes what has gathered, up to
    ``batch`` records, and hands them to ``save`` (``ivr.call.outcome.save_calls``: one
    transaction). A failing ``save`` is logged and the writer goes on. :meth:`aclose` stores
    everything queued, then stops.
    """

    def __init__(
        self,
        save: Save,
        *,
        batch: int = 16,
        capacity: int = 4096,
        logger: logging.Logger | None = None,
    ) -> None:
        self._save = save
        self._batch = batch
        self._queue: asyncio.Queue[Item] = asyncio.Queue(capacity)
        self._log = logger or logging.getLogger("ivr.call")
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._late: set[asyncio.Task[None]] = set()  # records still waiting for room

    async def submit(self, record: CallRecord) -> asyncio.Future[int | None]:
        """Queue ``record``; the future is done once it is stored. Returns without yielding
        to the event loop unless the queue is full; a caller cancelled while it waits for
        room (a server closing) leaves the record to a task of its own: it is not lost."""
        stored: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        if self._closed:  # a call the server cut while closing: stored at once, not lost
            await self._write([(record, stored)])
            return stored
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="ivr-call-writer")
        if self._queue.full():
            self._log.warning(
                "call writer: %d records waiting, call %s waits",
                self._queue.qsize(),
                record.call_id,
            )
        try:
            await self._queue.put((record, stored))
        except asyncio.CancelledError:
            late = asyncio.create_task(self._queue.put((record, stored)))
            self._late.add(late)
            late.add_done_callback(self._late.discard)
            raise
        return stored

    async def aclose(self) -> None:
        """Store what is queued, then stop the task; a record submitted afterwards is stored
        at once, by the caller's task."""
        self._closed = True
        if self._task is None:
            return
        while self._late:
            await asyncio.gather(*self._late)
        await self._queue.join()
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def _run(self) -> None:
        while True:
            items = [await self._queue.get()]
            while len(items) < self._batch and not self._queue.empty():
                items.append(self._queue.get_nowait())
            try:
                await self._write(items)
            finally:
                for _ in items:
                    self._queue.task_done()

    async def _write(self, items: list[Item]) -> None:
        try:
            results = await self._save([record for record, _ in items])
        except Exception:
            calls = ", ".join(record.call_id for record, _ in items)
            self._log.exception("call writer: storing calls %s failed", calls)
            results = [None] * len(items)
        for (_, stored), result in zip(items, results, strict=True):
            if not stored.done():  # a caller that stopped waiting cancelled it
                stored.set_result(result)
