"""Edits through the outbox: ``outbox.target_ts``, the ts of the message a chat.update row edits (rows editing
one message are sent in the order written, and a row a later one supersedes is skipped).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("target_ts", sa.String(length=32), nullable=True))
    op.create_index("ix_outbox_recipient_target_ts", "outbox", ["recipient", "target_ts"])


def downgrade() -> None:
    op.drop_index("ix_outbox_recipient_target_ts", table_name="outbox")
    op.drop_column("outbox", "target_ts")
