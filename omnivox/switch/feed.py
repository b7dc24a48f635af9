"""Wake-ups for the customers' chat streams on this instance.

A stream takes a :meth:`ChatFeed.ticket` before it reads the store, then waits on it: a
message written on this instance (``touch``) or a routing change (``touch_all``) wakes it at
once. Messages written on another instance are picked up by the stream's poll of the store
(the wait's timeout), so nothing is lost between instances, only a little later.
"""

from __future__ import annotations

import asyncio


class ChatFeed:
    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self.closed = False  # the server is shutting down: streams end

    def close(self) -> None:
        """Wake every stream for good (they see ``closed`` and end)."""
        self.closed = True
        self.touch_all()

    def ticket(self, chat_id: str) -> asyncio.Event:
        """An event the next ``touch`` of ``chat_id`` sets (take it before reading)."""
        event = asyncio.Event()
        self._waiting.setdefault(chat_id, set()).add(event)
        return event

    def touch(self, chat_id: str) -> None:
        for event in self._waiting.pop(chat_id, set()):
            event.set()

    def touch_all(self) -> None:
        waiting, self._waiting = self._waiting, {}
        for events in waiting.values():
            for event in events:
                event.set()

    async def wait(self, chat_id: str, ticket: asyncio.Event, seconds: float) -> bool:
        """``True`` if woken, ``False`` after ``seconds`` (the ticket is then dropped)."""
        try:
            async with asyncio.timeout(seconds):
                await ticket.wait()
            return True
        except TimeoutError:
            return False
        finally:
            self.forget(chat_id, ticket)

    def forget(self, chat_id: str, ticket: asyncio.Event) -> None:
        events = self._waiting.get(chat_id)
        if events is not None:
            events.discard(ticket)
            if not events:
                self._waiting.pop(chat_id, None)

    def waiting(self) -> int:
        """Streams waiting on this instance (for tests and metrics)."""
        return sum(len(events) for events in self._waiting.values())
