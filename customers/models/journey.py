"""IVR journeys: one row per call through a scenario."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from customers.models.base import Base, BigId, JSONType


class Journey(Base):
    __tablename__ = "journeys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True)  # Asterisk uniqueid
    scenario: Mapped[str] = mapped_column(String(100))
    scenario_version: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    caller: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    stopped_at: Mapped[str | None] = mapped_column(String(100))  # node id
    # [{node, kind, at (ms since start), input, detail}]
    path: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # [{menu, heard: [keys in order], promoted: [...], reasons: {...}}]
    menus: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    service: Mapped[str | None] = mapped_column(String(100))
    intent: Mapped[str | None] = mapped_column(String(100))
    resume_token: Mapped[str | None] = mapped_column(String(100), unique=True)


Index("ix_journeys_customer_started", Journey.customer_id, Journey.started_at)
