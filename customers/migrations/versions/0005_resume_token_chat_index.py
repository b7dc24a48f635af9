"""An index on ``resume_tokens.chat_id``: every agent reply, chat end and customer message finds
the token of its chat by the chat id (``CustomerStore.resume_token_of_chat``), which read the
whole table without it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_resume_tokens_chat_id", "resume_tokens", ["chat_id"])


def downgrade() -> None:
    op.drop_index("ix_resume_tokens_chat_id", table_name="resume_tokens")
