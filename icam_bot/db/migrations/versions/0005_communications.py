"""Communications: channel subscriptions, announcements and deliveries, weekly digest runs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "channel_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("subscribed_by", sa.String(length=32), nullable=False),
        sa.Column("subscribed_at", UTC_DATETIME, nullable=False),
        sa.Column("disabled_reason", sa.String(length=64), nullable=True),
        sa.Column("disabled_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_subscriptions")),
        sa.UniqueConstraint("channel_id", "program", name=op.f("uq_channel_subscriptions_channel_id")),
    )
    op.create_index("ix_channel_subscriptions_program", "channel_subscriptions", ["program"])
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("audience", sa.String(length=32), nullable=False),
        sa.Column("headline", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("confirmed_at", UTC_DATETIME, nullable=True),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    op.create_table(
        "announcement_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("error", sa.String(length=64), nullable=True),
        sa.Column("attempted_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcements.id"],
            name=op.f("fk_announcement_deliveries_announcement_id_announcements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement_deliveries")),
        sa.UniqueConstraint("announcement_id", "channel_id", name=op.f("uq_announcement_deliveries_announcement_id")),
    )
    op.create_table(
        "digest_runs",
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", UTC_DATETIME, nullable=False),
        sa.Column("lease_until", UTC_DATETIME, nullable=False),
        sa.Column("sent_at", UTC_DATETIME, nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("entry_ids", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_digest_runs")),
    )


def downgrade() -> None:
    op.drop_table("digest_runs")
    op.drop_table("announcement_deliveries")
    op.drop_table("announcements")
    op.drop_index("ix_channel_subscriptions_program", table_name="channel_subscriptions")
    op.drop_table("channel_subscriptions")
