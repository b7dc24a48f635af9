"""Reporting tables (routing outcomes, agent state history), filled by the reports work:
``report_contacts`` (one row per routed contact) and ``report_agent_states`` (state intervals).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, length: int, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "report_contacts",
        sa.Column("id", BIG_ID, nullable=False),
        _text("contact_id", 64, nullable=False),
        _text("service", 100),
        _text("first_service", 100),
        _text("media", 16, nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("journey_id", sa.Integer(), nullable=True),
        _text("intent", 100),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("vip", sa.Boolean(), nullable=False),
        _text("agent_id", 64),
        _ts("entered_at", nullable=False),
        _ts("queued_at"),
        _ts("offered_at"),
        _ts("answered_at"),
        _ts("ended_at"),
        _ts("abandoned_at"),
        sa.Column("offers", sa.Integer(), nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.Column("callback", sa.Boolean(), nullable=False),
        _text("switched_to", 32),
        sa.Column("wrap_up_ms", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_contacts")),
        sa.UniqueConstraint("contact_id", name=op.f("uq_report_contacts_contact_id")),
    )
    op.create_index("ix_report_contacts_entered", "report_contacts", ["entered_at", "service"])
    op.create_index("ix_report_contacts_agent", "report_contacts", ["agent_id", "ended_at"])
    op.create_table(
        "report_agent_states",
        sa.Column("id", BIG_ID, nullable=False),
        _text("agent_id", 64, nullable=False),
        _text("state", 16, nullable=False),
        _text("reason", 100),
        _ts("since", nullable=False),
        _ts("until"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_agent_states")),
    )
    op.create_index("ix_report_agent_states_agent", "report_agent_states", ["agent_id", "since"])
    op.create_index("ix_report_agent_states_since", "report_agent_states", ["since"])


def downgrade() -> None:
    op.drop_index("ix_report_agent_states_since", table_name="report_agent_states")
    op.drop_index("ix_report_agent_states_agent", table_name="report_agent_states")
    op.drop_table("report_agent_states")
    op.drop_index("ix_report_contacts_agent", table_name="report_contacts")
    op.drop_index("ix_report_contacts_entered", table_name="report_contacts")
    op.drop_table("report_contacts")
