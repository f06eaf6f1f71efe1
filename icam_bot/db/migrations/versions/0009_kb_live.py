"""Teaching from Slack (issue 14): review signals (the queue), live knowledge changes and the version the
replicas watch, closed queue rows and the append-only teaching audit.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "review_signals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("log_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("entry_ids", sa.JSON(), nullable=False),
        sa.Column("proposal", sa.Text(), nullable=True),
        sa.Column("proposed_by", sa.String(length=32), nullable=True),
        sa.Column("picked", sa.Boolean(), nullable=False),
        sa.Column("closure_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_review_signals_open", "review_signals", ["closure_id", "picked", "id"])
    op.create_index("ix_review_signals_log_id", "review_signals", ["log_id"])
    op.create_table(
        "kb_live_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("entry", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.String(length=32), nullable=False),
        sa.Column("proposed_at", UTC_DATETIME, nullable=False),
        sa.Column("approved_by", sa.String(length=32), nullable=True),
        sa.Column("approved_at", UTC_DATETIME, nullable=True),
        sa.Column("supersedes", sa.Integer(), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=True),
        sa.Column("closure_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kb_live_changes_status", "kb_live_changes", ["status", "id"])
    version = op.create_table(
        "kb_live_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(version, [{"id": 1, "version": 0, "updated_at": dt.datetime.now(dt.UTC)}])
    op.create_table(
        "kb_review_closures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=128), nullable=True),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("askers", sa.JSON(), nullable=False),
        sa.Column("closed_by", sa.String(length=32), nullable=False),
        sa.Column("closed_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "kb_teaching_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("target", sa.String(length=128), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=True),
        sa.Column("closure_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kb_teaching_events_target", "kb_teaching_events", ["target", "id"])
    _append_only(op.get_bind().dialect.name)


def _append_only(dialect: str) -> None:
    """kb_teaching_events refuses updates and deletes, like the audit tables of 0006 (and its function)."""
    if dialect == "postgresql":
        op.execute(
            "CREATE TRIGGER kb_teaching_events_append_only BEFORE UPDATE OR DELETE ON kb_teaching_events "
            "FOR EACH ROW EXECUTE FUNCTION icam_refuse_audit_change()"
        )
        op.execute(
            "CREATE TRIGGER kb_teaching_events_no_truncate BEFORE TRUNCATE ON kb_teaching_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION icam_refuse_audit_change()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER kb_teaching_events_no_{operation.lower()} BEFORE {operation} ON kb_teaching_events "
            f"BEGIN SELECT RAISE(ABORT, 'icam-bot: kb_teaching_events is an append-only audit table: "
            f"{operation} refused'); END"
        )


def downgrade() -> None:
    op.drop_index("ix_kb_teaching_events_target", table_name="kb_teaching_events")
    op.drop_table("kb_teaching_events")
    op.drop_table("kb_review_closures")
    op.drop_table("kb_live_version")
    op.drop_index("ix_kb_live_changes_status", table_name="kb_live_changes")
    op.drop_table("kb_live_changes")
    op.drop_index("ix_review_signals_log_id", table_name="review_signals")
    op.drop_index("ix_review_signals_open", table_name="review_signals")
    op.drop_table("review_signals")
