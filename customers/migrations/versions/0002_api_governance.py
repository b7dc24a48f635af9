"""The omnichannel API's tables: audit log, API keys, undoable merges, erasures with anonymous
counts; identities.match_key (the "maybe" rule of customers.matching, back-filled) and
customers.erased_at (an erased customer stays as an empty row so its id is never reused).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from customers.matching import match_key

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _actor() -> list[sa.Column]:
    return [
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
    ]


def _fk(column: str, table: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.add_column("customers", _ts("erased_at", nullable=True))
    op.add_column("identities", sa.Column("match_key", sa.String(length=256), nullable=True))
    op.create_index(op.f("ix_identities_match_key"), "identities", ["match_key"])
    identities = sa.table(
        "identities", sa.column("id"), sa.column("kind"), sa.column("value"), sa.column("match_key")
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(identities.c.id, identities.c.kind, identities.c.value)).all()
    for row_id, kind, value in rows:
        key = match_key(kind, value)
        if key is not None:
            bind.execute(identities.update().where(identities.c.id == row_id).values(match_key=key))

    op.create_table(
        "audit_log",
        sa.Column("id", BIG_ID, nullable=False),
        _ts("at"),
        *_actor(),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_kind", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_target", "audit_log", ["target_kind", "target_id", "at"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        _ts("created_at"),
        _ts("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        _ts("merged_at"),
        *_actor(),
        sa.Column("moved", sa.JSON(), nullable=False),
        _ts("undone_at", nullable=True),
        sa.Column("undone_by", sa.String(length=82), nullable=True),
        _fk("survivor_id", "merges", "customers"),
        _fk("merged_id", "merges", "customers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merges")),
    )
    op.create_index(op.f("ix_merges_survivor_id"), "merges", ["survivor_id"])
    op.create_index(op.f("ix_merges_merged_id"), "merges", ["merged_id"])
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        _ts("erased_at"),
        *_actor(),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_erasures_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_erasures_customer_id")),
    )
    op.create_table(
        "erased_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("erasure_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("intent", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        _fk("erasure_id", "erased_counts", "erasures"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erased_counts")),
    )
    op.create_index(op.f("ix_erased_counts_erasure_id"), "erased_counts", ["erasure_id"])
    op.create_index("ix_erased_counts_day", "erased_counts", ["day"])


def downgrade() -> None:
    op.drop_index("ix_erased_counts_day", table_name="erased_counts")
    op.drop_index(op.f("ix_erased_counts_erasure_id"), table_name="erased_counts")
    op.drop_table("erased_counts")
    op.drop_table("erasures")
    op.drop_index(op.f("ix_merges_merged_id"), table_name="merges")
    op.drop_index(op.f("ix_merges_survivor_id"), table_name="merges")
    op.drop_table("merges")
    op.drop_table("api_keys")
    op.drop_index("ix_audit_log_target", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index(op.f("ix_identities_match_key"), table_name="identities")
    # plain ALTER TABLE DROP COLUMN (SQLite >= 3.35): a batch copy of customers would drop the
    # old table, and with foreign keys on that cascades to every row that refers to it
    op.execute("ALTER TABLE identities DROP COLUMN match_key")
    op.execute("ALTER TABLE customers DROP COLUMN erased_at")
