"""aiosqlite connections that can be stopped twice.

SQLAlchemy terminates a connection whose task is cancelled mid-query with a graceful close in
a shielded task plus, when the task is cancelled again (a server stopping, then the event
loop's own shutdown), a forced ``stop()``. aiosqlite's ``close()`` then stops the worker
thread a second time and waits for an answer from a thread that has already ended: a task
that never finishes, so ``asyncio.run`` never returns. Here a second ``stop()`` is a no-op.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite


class Connection(aiosqlite.Connection):
    """:class:`aiosqlite.Connection` whose ``stop()`` acts once."""

    def stop(self) -> asyncio.Future[Any] | None:
        if not self._running:  # stopped already: nothing would answer a second request
            return None
        return super().stop()


def connect(database: str, **kwargs: Any) -> Connection:
    """``aiosqlite.connect`` with :class:`Connection` (SQLAlchemy's ``async_creator_fn``)."""
    connection = aiosqlite.connect(database, **kwargs)
    connection.__class__ = Connection  # same state, one method more careful
    connection._thread.daemon = True  # as SQLAlchemy does: never keep the process alive
    return connection  # type: ignore[return-value]
