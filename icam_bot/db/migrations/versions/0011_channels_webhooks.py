"""Help channels and outbound webhooks: ``listened_channels`` (where the bot reads and answers what it is sure
of), ``channel_events`` (the append-only audit of ``/icam listen``), and ``webhook_deliveries`` (events owed to
the agencies' webhooks, written with the change, delivered by any replica, dead-lettered after the last attempt).

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
AUDIT_TABLE = "channel_events"


def upgrade() -> None:
    op.create_table(
        "listened_channels",
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("enabled_by", sa.String(length=32), nullable=False),
        sa.Column("enabled_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_listened_channels")),
    )
    op.create_table(
        AUDIT_TABLE,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_events")),
    )
    op.create_index(op.f("ix_channel_events_channel_id"), AUDIT_TABLE, ["channel_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=96), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_DATETIME, nullable=False),
        sa.Column("lease_until", UTC_DATETIME, nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("delivered_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("event_id", "target", name="uq_webhook_deliveries_event_target"),
    )
    op.create_index("ix_webhook_deliveries_status_next_attempt_at", "webhook_deliveries", ["status", "next_attempt_at"])
    op.create_index(op.f("ix_webhook_deliveries_item_id"), "webhook_deliveries", ["item_id"])
    if op.get_bind().dialect.name == "postgresql":  # icam_refuse_audit_change() is migration 0006's
        op.execute(
            f"CREATE TRIGGER {AUDIT_TABLE}_append_only BEFORE UPDATE OR DELETE ON {AUDIT_TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION icam_refuse_audit_change()"
        )
        op.execute(
            f"CREATE TRIGGER {AUDIT_TABLE}_no_truncate BEFORE TRUNCATE ON {AUDIT_TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION icam_refuse_audit_change()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {AUDIT_TABLE}_no_{operation.lower()} BEFORE {operation} ON {AUDIT_TABLE} "
                f"BEGIN SELECT RAISE(ABORT, 'icam-bot: {AUDIT_TABLE} is an append-only audit table: "
                f"{operation} refused'); END"
            )


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_deliveries_item_id"), table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_status_next_attempt_at", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index(op.f("ix_channel_events_channel_id"), table_name=AUDIT_TABLE)
    op.drop_table(AUDIT_TABLE)  # its triggers go with it
    op.drop_table("listened_channels")
