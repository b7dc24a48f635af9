"""Channel switching in the store: resume tokens, the SMS outbox, and chat messages kept as the
content of the chat interaction that continues a call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exc, select, update

from customers import validation as v
from customers.exceptions import Conflict, NotFound
from customers.models import Agent, Interaction, Journey, ResumeToken, SmsOutbox
from customers.records import InteractionRecord
from customers.store.base import StoreBase
from customers.store.convert import interaction_record

MAX_MESSAGES = 500  # a chat's stored messages; older ones are dropped first


def token_of_chat(chat_id: str) -> Select[tuple[ResumeToken]]:
    """The token that opened chat ``chat_id``: found through ``ix_resume_tokens_chat_id``."""
    return select(ResumeToken).where(ResumeToken.chat_id == chat_id).limit(1)


@dataclass(frozen=True, slots=True)
class ResumeTokenRecord:
    id: int
    kind: str
    call_id: str
    journey_id: int
    customer_id: int | None
    phone: str | None
    scenario: str | None
    intent: str | None
    service: str
    route: dict[str, Any]
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    session_hash: str | None
    chat_id: str | None
    interaction_id: int | None


@dataclass(frozen=True, slots=True)
class SmsRecord:
    id: int
    key: str
    to: str
    body: str
    status: str  # queued, sent, failed
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


def _token(row: ResumeToken) -> ResumeTokenRecord:
    return ResumeTokenRecord(
        id=row.id,
        kind=row.kind,
        call_id=row.call_id,
        journey_id=row.journey_id,
        customer_id=row.customer_id,
        phone=row.phone,
        scenario=row.scenario,
        intent=row.intent,
        service=row.service,
        route=dict(row.route),
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        session_hash=row.session_hash,
        chat_id=row.chat_id,
        interaction_id=row.interaction_id,
    )


def _sms(row: SmsOutbox) -> SmsRecord:
    return SmsRecord(
        id=row.id,
        key=row.key,
        to=row.to,
        body=row.body,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


class SwitchOps(StoreBase):
    # --- resume tokens ------------------------------------------------------------------

    async def add_resume_token(
        self,
        *,
        token_hash: str,
        kind: str,
        call_id: str,
        journey_id: int,
        service: str,
        expires_at: datetime,
        customer_id: int | None = None,
        phone: str | None = None,
        scenario: str | None = None,
        intent: str | None = None,
        route: Mapping[str, Any] | None = None,
    ) -> ResumeTokenRecord | None:
        """Store a token (by its hash); ``None`` if the call already has one of this kind."""
        row = ResumeToken(
            token_hash=v.text("token_hash", token_hash, max_length=64),
            kind=v.text("kind", kind, max_length=16),
            call_id=v.text("call_id", call_id, max_length=64),
            journey_id=v.integer("journey_id", journey_id),
            customer_id=customer_id,
            phone=v.optional_text("phone", phone, max_length=64),
            scenario=v.optional_text("scenario", scenario, max_length=100),
            intent=v.optional_text("intent", intent, max_length=100),
            service=v.text("service", service, max_length=100),
            route=v.jsonable("route", v.mapping("route", route or {})),
            created_at=self._clock(),
            expires_at=v.aware("expires_at", expires_at),
        )
        try:
            async with self._write() as session:
                if await session.get(Journey, row.journey_id) is None:
                    raise NotFound(f"journey {row.journey_id} does not exist")
                if customer_id is not None:
                    await self._require_customer(session, customer_id)
                session.add(row)
                await session.flush()
                return _token(row)
        except exc.IntegrityError:
            if await self.resume_token_of_call(row.call_id, row.kind) is None:
                raise
            return None

    async def resume_token_of_call(self, call_id: str, kind: str) -> ResumeTokenRecord | None:
        async with self._read() as session:
            row = await session.scalar(
                select(ResumeToken).where(ResumeToken.call_id == call_id, ResumeToken.kind == kind)
            )
            return None if row is None else _token(row)

    async def resume_token(self, token_hash: str) -> ResumeTokenRecord | None:
        """The token whose SHA-256 is ``token_hash``, used or not, expired or not."""
        async with self._read() as session:
            row = await session.scalar(
                select(ResumeToken).where(ResumeToken.token_hash == token_hash)
            )
            return None if row is None else _token(row)

    async def use_resume_token(
        self,
        token_id: int,
        *,
        session_hash: str,
        chat_id: str,
        interaction_id: int,
        now: datetime | None = None,
    ) -> bool:
        """Mark the token used by this chat, once: ``False`` if it was used or has expired."""
        now = self._clock() if now is None else v.aware("now", now)
        async with self._write() as session:
            result = await session.execute(
                update(ResumeToken)
                .where(
                    ResumeToken.id == token_id,
                    ResumeToken.used_at.is_(None),
                    ResumeToken.expires_at > now,
                )
                .values(
                    used_at=now,
                    session_hash=v.text("session_hash", session_hash, max_length=64),
                    chat_id=v.text("chat_id", chat_id, max_length=64),
                    interaction_id=interaction_id,
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def resume_token_of_chat(self, chat_id: str) -> ResumeTokenRecord | None:
        """The token that opened chat ``chat_id`` (the chat's id is the routed contact's)."""
        async with self._read() as session:
            row = await session.scalar(token_of_chat(chat_id))
            return None if row is None else _token(row)

    async def chat_interaction(self, interaction_id: int) -> InteractionRecord | None:
        async with self._read() as session:
            row = await session.get(Interaction, interaction_id)
            return None if row is None else interaction_record(row)

    async def append_chat_message(
        self, interaction_id: int, message: Mapping[str, Any]
    ) -> InteractionRecord:
        """Add ``message`` to the interaction's ``data["messages"]`` with the next ``seq``
        (1, 2, ...: what a reader has seen so far); the first customer message becomes the
        summary. :class:`Conflict` once the chat has ended."""
        item = dict(v.jsonable("message", v.mapping("message", message)))
        async with self._write() as session:
            row = await session.get(Interaction, interaction_id, with_for_update=True)
            if row is None:
                raise NotFound(f"interaction {interaction_id} does not exist")
            data = dict(row.data)
            if data.get("ended_at"):
                raise Conflict("this chat has ended")
            messages = list(data.get("messages") or [])
            item["seq"] = int(messages[-1].get("seq") or len(messages)) + 1 if messages else 1
            data["messages"] = [*messages, item][-MAX_MESSAGES:]
            row.data = data
            if row.summary is None and item.get("from") == "customer":
                row.summary = str(item.get("text", ""))[:1000]
            await session.flush()
            return interaction_record(row)

    async def end_chat(
        self, interaction_id: int, *, at: datetime, by: str, agent_id: int | None = None
    ) -> tuple[InteractionRecord, bool]:
        """Close the chat's interaction (no longer open; ``ended_at``, ``ended_by`` and the
        agent recorded): the timeline shows the finished chat with its transcript. The
        second value is ``False`` when it had already ended (nothing is written)."""
        async with self._write() as session:
            row = await session.get(Interaction, interaction_id, with_for_update=True)
            if row is None:
                raise NotFound(f"interaction {interaction_id} does not exist")
            if row.data.get("ended_at"):
                return interaction_record(row), False
            if agent_id is not None and await session.get(Agent, agent_id) is None:
                raise NotFound(f"agent {agent_id} does not exist")
            ended = {"ended_at": v.aware("at", at).isoformat(), "ended_by": by[:100]}
            row.data = dict(row.data) | ended
            row.open = False
            row.agent_id = agent_id if agent_id is not None else row.agent_id
            await session.flush()
            return interaction_record(row), True

    async def wrap_up_chat(
        self,
        interaction_id: int,
        *,
        disposition: str,
        outcome: str,
        notes: str | None,
        topic: str | None,
        agent_id: int,
        by: str,
    ) -> tuple[InteractionRecord, bool]:
        """The agent's wrap-up completes the chat's own interaction, once: the outcome, the
        disposition and the agent; the topic and the notes (as the summary) when given. One
        timeline entry per chat. The second value is ``False`` when it was wrapped up before
        (nothing is written)."""
        async with self._write() as session:
            row = await session.get(Interaction, interaction_id, with_for_update=True)
            if row is None:
                raise NotFound(f"interaction {interaction_id} does not exist")
            if row.data.get("disposition"):
                return interaction_record(row), False
            if await session.get(Agent, agent_id) is None:
                raise NotFound(f"agent {agent_id} does not exist")
            row.outcome = v.text("outcome", outcome, max_length=32)
            row.topic = v.optional_text("topic", topic, max_length=200) or row.topic
            row.summary = v.optional_text("notes", notes, max_length=20_000) or row.summary
            row.agent_id = agent_id
            row.data = dict(row.data) | {
                "disposition": v.text("disposition", disposition, max_length=64),
                "by": by[:100],
                "wrapped_up_at": self._clock().isoformat(),
            }
            await session.flush()
            return interaction_record(row), True

    # --- the SMS outbox -----------------------------------------------------------------

    async def queue_sms(
        self, key: str, to: str, body: str, *, now: datetime | None = None
    ) -> SmsRecord | None:
        """Queue a message for the sender, due ``now`` (the sender's clock; default the
        store's); ``None`` if one was queued under ``key`` before."""
        now = self._clock() if now is None else v.aware("now", now)
        row = SmsOutbox(
            key=v.text("key", key, max_length=200),
            to=v.text("to", to, max_length=64),
            body=v.text("body", body, max_length=2000),
            status="queued",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        try:
            async with self._write() as session:
                session.add(row)
                await session.flush()
                return _sms(row)
        except exc.IntegrityError:
            if await self.sms(row.key) is None:
                raise
            return None

    async def sms(self, key: str) -> SmsRecord | None:
        async with self._read() as session:
            row = await session.scalar(select(SmsOutbox).where(SmsOutbox.key == key))
            return None if row is None else _sms(row)

    async def claim_due_sms(
        self, *, now: datetime, lease: timedelta, limit: int = 20
    ) -> list[SmsRecord]:
        """Queued messages due by ``now``, each pushed ``lease`` ahead so that another worker
        (another instance) does not take it meanwhile; a crashed sender's lease runs out."""
        now = v.aware("now", now)
        claimed: list[SmsRecord] = []
        async with self._write() as session:
            due = await session.scalars(
                select(SmsOutbox)
                .where(SmsOutbox.status == "queued", SmsOutbox.next_attempt_at <= now)
                .order_by(SmsOutbox.next_attempt_at, SmsOutbox.id)
                .limit(limit)
            )
            for row in list(due):
                won = await session.execute(
                    update(SmsOutbox)
                    .where(
                        SmsOutbox.id == row.id,
                        SmsOutbox.status == "queued",
                        SmsOutbox.next_attempt_at == row.next_attempt_at,
                    )
                    .values(next_attempt_at=now + lease)
                    .execution_options(synchronize_session=False)
                )
                if won.rowcount:  # type: ignore[attr-defined]
                    claimed.append(_sms(row))
        return claimed

    async def sms_attempted(
        self,
        sms_id: int,
        *,
        status: str,
        attempts: int,
        next_attempt_at: datetime | None = None,
        error: str | None = None,
        now: datetime | None = None,
    ) -> None:
        """Record one send attempt: ``sent``, ``failed`` (for good) or ``queued`` again."""
        status = v.one_of("status", status, ("queued", "sent", "failed"))
        now = self._clock() if now is None else v.aware("now", now)
        values: dict[str, Any] = {"status": status, "attempts": attempts, "last_error": error}
        if status == "sent":
            values["sent_at"] = now
        if next_attempt_at is not None:
            values["next_attempt_at"] = v.aware("next_attempt_at", next_attempt_at)
        async with self._write() as session:
            await session.execute(
                update(SmsOutbox)
                .where(SmsOutbox.id == sms_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
