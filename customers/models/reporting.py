"""Reporting history: one row per routed contact, and every agent state with its interval.

Filled by ``omnivox.reports.recorder`` from the router's and the IVR's bus events; read by the
report functions. Rows hold ids only (customer, journey, agent), never personal values, and
outlive the profile they point at, so there are no foreign keys.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from customers.models.base import Base, BigId


class ContactRecord(Base):
    """One contact from the IVR's hand-over (or channel switch) to its end."""

    __tablename__ = "report_contacts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(64), unique=True)  # the call's uniqueid
    service: Mapped[str | None] = mapped_column(String(100))
    first_service: Mapped[str | None] = mapped_column(String(100))
    media: Mapped[str] = mapped_column(String(16), default="voice")  # voice, chat, callback
    customer_id: Mapped[int | None]
    journey_id: Mapped[int | None]
    intent: Mapped[str | None] = mapped_column(String(100))
    priority: Mapped[int | None]
    vip: Mapped[bool] = mapped_column(default=False)
    agent_id: Mapped[str | None] = mapped_column(String(64))  # the agent who answered (or last)
    entered_at: Mapped[datetime]  # first seen: hand-over or channel switch
    queued_at: Mapped[datetime | None]
    offered_at: Mapped[datetime | None]  # first offer
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    abandoned_at: Mapped[datetime | None]
    offers: Mapped[int] = mapped_column(default=0)
    missed: Mapped[int] = mapped_column(default=0)
    transfers: Mapped[int] = mapped_column(default=0)  # moves to another service
    callback: Mapped[bool] = mapped_column(default=False)
    switched_to: Mapped[str | None] = mapped_column(String(32))  # the IVR's channel switch
    wrap_up_ms: Mapped[int | None]  # the agent's wrap-up after it


Index("ix_report_contacts_entered", ContactRecord.entered_at, ContactRecord.service)
Index("ix_report_contacts_agent", ContactRecord.agent_id, ContactRecord.ended_at)


class AgentStateRecord(Base):
    """An agent in one state from ``since`` until ``until`` (open while it lasts)."""

    __tablename__ = "report_agent_states"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(100))
    since: Mapped[datetime]
    until: Mapped[datetime | None]


Index("ix_report_agent_states_agent", AgentStateRecord.agent_id, AgentStateRecord.since)
Index("ix_report_agent_states_since", AgentStateRecord.since)
