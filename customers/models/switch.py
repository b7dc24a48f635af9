"""Channel switching: resume tokens that carry a call's journey to another channel, and the
outbox of text messages waiting for the SMS sender."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from customers.models.base import Base, BigId, JSONType, utcnow


class ResumeToken(Base):
    """A link given to a caller (``kind``: sms_link, callback...) to continue their journey.

    Only the SHA-256 of the token is kept; the token itself lives in the message sent.
    One token per call and kind: the IVR telling twice makes no second link.
    """

    __tablename__ = "resume_tokens"
    __table_args__ = (UniqueConstraint("call_id", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    call_id: Mapped[str] = mapped_column(String(64))
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    phone: Mapped[str | None] = mapped_column(String(64))
    scenario: Mapped[str | None] = mapped_column(String(100))
    intent: Mapped[str | None] = mapped_column(String(100))
    service: Mapped[str] = mapped_column(String(100))
    # the hand-over the chat gets: {skills, priority, language, vip, segment}
    route: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    session_hash: Mapped[str | None] = mapped_column(String(64))  # the chat opened with it
    chat_id: Mapped[str | None] = mapped_column(String(64))
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL")
    )


Index("ix_resume_tokens_journey_id", ResumeToken.journey_id)
Index("ix_resume_tokens_chat_id", ResumeToken.chat_id)  # a chat finds its token


class SmsOutbox(Base):
    """A text message to send; the sender worker moves it to ``sent`` or ``failed``."""

    __tablename__ = "sms_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # one message per key
    to: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued, sent, failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


Index("ix_sms_outbox_due", SmsOutbox.status, SmsOutbox.next_attempt_at)
