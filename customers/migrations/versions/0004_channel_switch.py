"""Channel-switch tables: resume tokens (a call's journey continued on another channel) and the
SMS outbox the sender worker drains.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "resume_tokens",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("journey_id", BIG_ID, nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("scenario", sa.String(length=100), nullable=True),
        sa.Column("intent", sa.String(length=100), nullable=True),
        sa.Column("service", sa.String(length=100), nullable=False),
        sa.Column("route", sa.JSON(), nullable=False),
        _ts("created_at"),
        _ts("expires_at"),
        _ts("used_at", nullable=True),
        sa.Column("session_hash", sa.String(length=64), nullable=True),
        sa.Column("chat_id", sa.String(length=64), nullable=True),
        sa.Column("interaction_id", BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journeys.id"],
            name=op.f("fk_resume_tokens_journey_id_journeys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_resume_tokens_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_resume_tokens_interaction_id_interactions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resume_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_resume_tokens_token_hash")),
        sa.UniqueConstraint("call_id", "kind", name=op.f("uq_resume_tokens_call_id_kind")),
    )
    op.create_index("ix_resume_tokens_journey_id", "resume_tokens", ["journey_id"])
    op.create_table(
        "sms_outbox",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("to", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("sent_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_sms_outbox_key")),
    )
    op.create_index("ix_sms_outbox_due", "sms_outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_sms_outbox_due", table_name="sms_outbox")
    op.drop_table("sms_outbox")
    op.drop_index("ix_resume_tokens_journey_id", table_name="resume_tokens")
    op.drop_table("resume_tokens")
