"""Fenced sends: ``lease_epoch`` on outbox rows and pending questions (every change of holder bumps it; a send
is claimed only by the holder of the current epoch), and ``outbox.attempt_started_at`` (a send that may have
reached Slack without its ts being recorded: looked for by its metadata before it is sent again), and
``pending_questions.send_started_at`` (the same for a question's reply).

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("lease_epoch", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("attempt_started_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("pending_questions") as batch:
        batch.add_column(sa.Column("lease_epoch", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("send_started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pending_questions") as batch:
        batch.drop_column("send_started_at")
        batch.drop_column("lease_epoch")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("attempt_started_at")
        batch.drop_column("lease_epoch")
