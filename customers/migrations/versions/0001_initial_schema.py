"""Initial schema: customers, identities, interactions, profile data, journeys, agents,
skills and services.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(column: str, table: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("endpoint", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
        sa.UniqueConstraint("login", name=op.f("uq_agents_login")),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("segment", sa.String(length=64), nullable=True),
        sa.Column("vip", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        _ts("created_at"),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        _fk("merged_into", "customers", "customers", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    op.create_index(op.f("ix_customers_merged_into"), "customers", ["merged_into"])
    op.create_table(
        "services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("sl_target_pct", sa.Double(), nullable=False),
        sa.Column("sl_threshold_s", sa.Integer(), nullable=False),
        sa.Column("wrapup_s", sa.Integer(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "sl_target_pct >= 0 AND sl_target_pct <= 100",
            name=op.f("ck_services_sl_target_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
        sa.UniqueConstraint("name", name=op.f("uq_services_name")),
    )
    op.create_table(
        "skills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skills")),
        sa.UniqueConstraint("name", name=op.f("uq_skills_name")),
    )
    op.create_table(
        "agent_skills",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 10", name=op.f("ck_agent_skills_level_range")),
        _fk("agent_id", "agent_skills", "agents", "CASCADE"),
        _fk("skill_id", "agent_skills", "skills", "CASCADE"),
        sa.PrimaryKeyConstraint("agent_id", "skill_id", name=op.f("pk_agent_skills")),
    )
    op.create_table(
        "identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        _ts("created_at"),
        _fk("customer_id", "identities", "customers", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
        sa.UniqueConstraint("kind", "value", name=op.f("uq_identities_kind_value")),
    )
    op.create_index(op.f("ix_identities_customer_id"), "identities", ["customer_id"])
    op.create_table(
        "journeys",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("scenario", sa.String(length=100), nullable=False),
        sa.Column("scenario_version", sa.String(length=64), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("caller", sa.String(length=64), nullable=True),
        _ts("started_at"),
        _ts("ended_at", nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stopped_at", sa.String(length=100), nullable=True),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("menus", sa.JSON(), nullable=False),
        sa.Column("service", sa.String(length=100), nullable=True),
        sa.Column("intent", sa.String(length=100), nullable=True),
        sa.Column("resume_token", sa.String(length=100), nullable=True),
        _fk("customer_id", "journeys", "customers", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journeys")),
        sa.UniqueConstraint("call_id", name=op.f("uq_journeys_call_id")),
        sa.UniqueConstraint("resume_token", name=op.f("uq_journeys_resume_token")),
    )
    op.create_index("ix_journeys_customer_started", "journeys", ["customer_id", "started_at"])
    op.create_table(
        "profile_data",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("source_channel", sa.String(length=16), nullable=False),
        _ts("updated_at"),
        _fk("customer_id", "profile_data", "customers", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_data")),
        sa.UniqueConstraint("customer_id", "field", name=op.f("uq_profile_data_customer_id_field")),
    )
    op.create_table(
        "service_skills",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("min_level", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "min_level BETWEEN 1 AND 10", name=op.f("ck_service_skills_min_level_range")
        ),
        _fk("service_id", "service_skills", "services", "CASCADE"),
        _fk("skill_id", "service_skills", "skills", "CASCADE"),
        sa.PrimaryKeyConstraint("service_id", "skill_id", name=op.f("pk_service_skills")),
    )
    op.create_table(
        "interactions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        _ts("occurred_at"),
        sa.Column("intent", sa.String(length=100), nullable=True),
        sa.Column("topic", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("journey_id", BIG_ID, nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        _ts("created_at"),
        sa.CheckConstraint("direction IN ('in', 'out')", name=op.f("ck_interactions_direction")),
        _fk("agent_id", "interactions", "agents", "SET NULL"),
        _fk("customer_id", "interactions", "customers", "CASCADE"),
        _fk("journey_id", "interactions", "journeys", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interactions")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_interactions_idempotency_key")),
    )
    op.create_index(
        "ix_interactions_intent", "interactions", ["customer_id", "intent", "occurred_at"]
    )
    op.create_index(
        "ix_interactions_timeline",
        "interactions",
        ["customer_id", sa.literal_column("occurred_at DESC"), sa.literal_column("id DESC")],
    )


def downgrade() -> None:
    op.drop_index("ix_interactions_timeline", table_name="interactions")
    op.drop_index("ix_interactions_intent", table_name="interactions")
    op.drop_table("interactions")
    op.drop_table("service_skills")
    op.drop_table("profile_data")
    op.drop_index("ix_journeys_customer_started", table_name="journeys")
    op.drop_table("journeys")
    op.drop_index(op.f("ix_identities_customer_id"), table_name="identities")
    op.drop_table("identities")
    op.drop_table("agent_skills")
    op.drop_table("skills")
    op.drop_table("services")
    op.drop_index(op.f("ix_customers_merged_into"), table_name="customers")
    op.drop_table("customers")
    op.drop_table("agents")
