"""The conversation of a chat continuing a call, for both sides.

Every message is stored on the chat interaction (``data["messages"]``, each with a ``seq``)
before anyone is told, so a reload or another instance reads the whole conversation from the
store. Then: the customer's streams on this instance are woken (:class:`ChatFeed`), the agent
the chat was offered to hears it on their desktop socket (``Desk.tell``, through the pop
hub: any instance), and the bus gets ``switch.chat_message``. Ending the chat closes the
interaction (the finished chat on the customer's timeline) and ends the router's contact,
which puts the agent in wrap-up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, Literal, Protocol

from customers.exceptions import Conflict
from customers.records import InteractionRecord
from customers.store import CustomerStore
from customers.store.switch import ResumeTokenRecord
from omnivox.switch.exceptions import ChatEnded, ChatUnknown, InvalidMessage
from omnivox.switch.feed import ChatFeed
from omnivox.switch.position import queue_places

MAX_MESSAGE = 2000
VIEWS_TTL_S = 0.5  # streams woken together share one read of the router's contacts
Publish = Callable[[str, Mapping[str, Any]], Awaitable[None]]
Sender = Literal["customer", "agent"]
log = logging.getLogger("omnivox.switch")


class Desk(Protocol):
    """The agent desktop as the chat sees it (``omnivox.switch.desk.HubDesk``)."""

    async def agent_of(self, chat_id: str) -> int | None:
        """The agent the chat was offered to, ``None`` before it was."""
        ...

    async def tell(self, agent_id: int, message: dict[str, Any]) -> None: ...


class QueueView(Protocol):
    """What the chat reads of ``routing.service.Router``."""

    services: Any

    def now(self) -> float: ...

    async def contacts(self) -> list[dict[str, Any]]: ...

    async def end_contact(self, contact_id: str) -> None: ...


def clean_text(text: object) -> str:
    """The message to store; :class:`InvalidMessage` naming ``text`` otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidMessage("text: write a message (1 to 2000 characters)")
    if len(text) > MAX_MESSAGE:
        raise InvalidMessage(f"text: at most {MAX_MESSAGE} characters, got {len(text)}")
    return text.strip()


class ChatRoom:
    """Messages, the queue place and the end of chats over one store."""

    def __init__(
        self,
        store: CustomerStore,
        *,
        clock: Callable[[], datetime],
        router: QueueView | None = None,
        publish: Publish | None = None,
        feed: ChatFeed | None = None,
    ) -> None:
        self.store = store
        self.router = router
        self.feed = feed or ChatFeed()
        self.desk: Desk | None = None  # set when the desktop is mounted on the same app
        self._clock = clock
        self._publish = publish
        self._generation = 0
        self._cache: tuple[int, float, dict[str, dict[str, Any]]] | None = None
        self._reading = asyncio.Lock()

    async def find(self, chat_id: str) -> ResumeTokenRecord:
        record = await self.store.resume_token_of_chat(chat_id) if chat_id else None
        if record is None or record.interaction_id is None:
            raise ChatUnknown(f"no chat {chat_id!r}")
        return record

    async def agent_of(self, chat_id: str) -> int | None:
        return None if self.desk is None else await self.desk.agent_of(chat_id)

    async def write(
        self,
        record: ResumeTokenRecord,
        sender: Sender,
        text: object,
        *,
        agent_id: int | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """Store one message and tell both sides; the stored message (with its ``seq``)."""
        body = clean_text(text)
        assert record.interaction_id is not None and record.chat_id is not None
        message: dict[str, Any] = {"from": sender, "text": body, "at": self._clock().isoformat()}
        if sender == "agent":
            message |= {"agent_id": agent_id, "name": name}
        try:
            stored = await self.store.append_chat_message(record.interaction_id, message)
        except Conflict:
            raise ChatEnded("this chat has ended") from None
        message = stored.data["messages"][-1]
        await self._announce(record.chat_id, {"type": "chat_message", "message": message})
        if self._publish is not None:
            event = {"chat_id": record.chat_id, "interaction_id": stored.id, **message}
            await self._publish("switch.chat_message", event)
        return message

    async def snapshot(self, record: ResumeTokenRecord, after: int = 0) -> dict[str, Any]:
        """Messages after ``after`` (a ``seq``), whether the chat ended, its queue place."""
        messages, ended = await self.messages(record, after)
        place = {"phase": "ended"} if ended else await self.place(str(record.chat_id))
        return {"chat_id": record.chat_id, "messages": messages, "ended": ended, "place": place}

    async def messages(
        self, record: ResumeTokenRecord, after: int = 0
    ) -> tuple[list[dict[str, Any]], bool]:
        """The stored messages after ``after`` and whether the chat has ended."""
        assert record.interaction_id is not None
        interaction = await self.store.chat_interaction(record.interaction_id)
        if interaction is None:  # erased with the customer
            raise ChatUnknown("this chat no longer exists")
        listed = interaction.data.get("messages") or []
        later = [m for m in listed if int(m.get("seq") or 0) > after]
        return later, bool(interaction.data.get("ended_at"))

    async def place(self, chat_id: str) -> dict[str, Any]:
        if self.router is None:
            return {"phase": "none"}
        try:
            places = await self._places()
        except Exception:  # the routing state unreachable: say nothing rather than fail
            log.exception("reading the queue for chat %s failed", chat_id)
            return {"phase": "unknown"}
        return places.get(chat_id, {"phase": "none"})

    def routing_changed(self) -> None:
        """A queue moved (a router event): the next reads see it, every stream is woken."""
        self._generation += 1
        self.feed.touch_all()

    async def _places(self) -> dict[str, dict[str, Any]]:
        """Every contact's place, read once for all the streams woken together (and at most
        every ``VIEWS_TTL_S`` while nothing moves)."""
        assert self.router is not None
        async with self._reading:
            now, cached = time.monotonic(), self._cache
            if cached and cached[0] == self._generation and now - cached[1] <= VIEWS_TTL_S:
                return cached[2]
            generation = self._generation  # an event while reading: the next read is fresh
            views = await self.router.contacts()
            places = queue_places(views, self.router.services, self.router.now())
            self._cache = (generation, now, places)
            return places

    async def end(
        self, record: ResumeTokenRecord, *, by: str, agent_id: int | None = None
    ) -> tuple[InteractionRecord, bool]:
        """Close the chat (once): the interaction, the router's contact, both sides told."""
        assert record.interaction_id is not None and record.chat_id is not None
        closed, now = await self.store.end_chat(
            record.interaction_id, at=self._clock(), by=by, agent_id=agent_id
        )
        if not now:
            return closed, False
        await self._announce(record.chat_id, {"type": "chat_ended", "by": by})
        if self.router is not None:
            try:
                await self.router.end_contact(record.chat_id)
            except Exception:  # the chat is closed in the store either way
                log.exception("ending the routed chat %s failed", record.chat_id)
        return closed, True

    async def _announce(self, chat_id: str, message: dict[str, Any]) -> None:
        self.feed.touch(chat_id)
        agent_id = await self.agent_of(chat_id)
        if agent_id is None or self.desk is None:
            return
        try:
            await self.desk.tell(agent_id, {**message, "chat_id": chat_id})
        except Exception:  # stored already: the desktop reads it on its next load
            log.exception("telling agent %s about chat %s failed", agent_id, chat_id)
