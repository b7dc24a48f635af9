"""Wake-ups for the customers' chat streams on this instance.

A stream takes a :meth:`ChatFeed.ticket` before it reads, then waits on it: a message written
on this instance (``touch``: the ticket's ``messages`` is set, the stream reads the store) or
a routing change (``touch_all``: only the queue place is read again) wakes it at once.
Messages written on another instance are picked up by the stream's poll of the store (the
wait's timeout), so nothing is lost between instances, only a little later.
"""

from __future__ import annotations

import asyncio


class Ticket:
    """One stream's wait: ``messages`` says a message was written on this instance."""

    __slots__ = ("event", "messages")

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.messages = False


class ChatFeed:
    def __init__(self) -> None:
        self._waiting: dict[str, set[Ticket]] = {}
        self.closed = False  # the server is shutting down: streams end

    def close(self) -> None:
        """Wake every stream for good (they see ``closed`` and end)."""
        self.closed = True
        self.touch_all()

    def ticket(self, chat_id: str) -> Ticket:
        """A ticket the next ``touch`` of ``chat_id`` wakes (take it before reading)."""
        ticket = Ticket()
        self._waiting.setdefault(chat_id, set()).add(ticket)
        return ticket

    def touch(self, chat_id: str) -> None:
        """A message was written in ``chat_id``."""
        for ticket in self._waiting.pop(chat_id, set()):
            ticket.messages = True
            ticket.event.set()

    def touch_all(self) -> None:
        """The queues moved: every stream reads its place again. The tickets stay listed
        until their streams resume, so a message written meanwhile still marks them."""
        for tickets in self._waiting.values():
            for ticket in tickets:
                ticket.event.set()

    async def wait(self, chat_id: str, ticket: Ticket, seconds: float) -> bool:
        """``True`` if woken, ``False`` after ``seconds`` (the ticket is then dropped)."""
        try:
            async with asyncio.timeout(seconds):
                await ticket.event.wait()
            return True
        except TimeoutError:
            return False
        finally:
            self.forget(chat_id, ticket)

    def forget(self, chat_id: str, ticket: Ticket) -> None:
        tickets = self._waiting.get(chat_id)
        if tickets is not None:
            tickets.discard(ticket)
            if not tickets:
                self._waiting.pop(chat_id, None)

    def waiting(self) -> int:
        """Streams waiting on this instance (for tests and metrics)."""
        return sum(len(tickets) for tickets in self._waiting.values())
