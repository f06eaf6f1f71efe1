"""Tracker: items (ICAM-<n>), comments, append-only audit events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

PROGRAMS = (
    "identity-management",
    "credentialing",
    "pacs",
    "application-access",
    "personnel-security",
    "governance-funding",
    "other",
)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def upgrade() -> None:
    op.create_table(
        "tracker_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", _enum("kind", "question", "issue", "concern", "risk"), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("bureau", sa.String(length=100), nullable=True),
        sa.Column("severity", _enum("severity", "low", "medium", "high", "critical"), nullable=False),
        sa.Column(
            "status",
            _enum("status", "new", "triaged", "in_progress", "waiting", "resolved", "closed"),
            nullable=False,
        ),
        sa.Column("reporter_id", sa.String(length=32), nullable=False),
        sa.Column("assignee_id", sa.String(length=32), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("permalink", sa.String(length=1000), nullable=True),
        sa.Column("likelihood", sa.Integer(), nullable=True),
        sa.Column("impact", sa.Integer(), nullable=True),
        sa.Column("mitigation_owner_id", sa.String(length=32), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("first_response_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolution_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("last_escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_escalation_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "program IN (" + ", ".join(f"'{p}'" for p in PROGRAMS) + ")", name=op.f("ck_tracker_items_program")
        ),
        sa.CheckConstraint(
            "likelihood IS NULL OR likelihood BETWEEN 1 AND 5", name=op.f("ck_tracker_items_likelihood")
        ),
        sa.CheckConstraint("impact IS NULL OR impact BETWEEN 1 AND 5", name=op.f("ck_tracker_items_impact")),
        sa.CheckConstraint("escalation_level >= 0", name=op.f("ck_tracker_items_escalation_level")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracker_items")),
    )
    op.create_index("ix_tracker_items_program_status_due", "tracker_items", ["program", "status", "resolution_due_at"])
    op.create_index("ix_tracker_items_reporter_id_created_at", "tracker_items", ["reporter_id", "created_at"])
    op.create_index("ix_tracker_items_assignee_id_status", "tracker_items", ["assignee_id", "status"])
    op.create_index("ix_tracker_items_status_created_at", "tracker_items", ["status", "created_at"])
    op.create_index(op.f("ix_tracker_items_next_escalation_at"), "tracker_items", ["next_escalation_at"])
    op.create_index(op.f("ix_tracker_items_remind_at"), "tracker_items", ["remind_at"])

    op.create_table(
        "tracker_comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["tracker_items.id"],
            name=op.f("fk_tracker_comments_item_id_tracker_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracker_comments")),
    )
    op.create_index(op.f("ix_tracker_comments_item_id"), "tracker_comments", ["item_id"])

    op.create_table(
        "tracker_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["tracker_items.id"],
            name=op.f("fk_tracker_events_item_id_tracker_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracker_events")),
    )
    op.create_index("ix_tracker_events_item_id_id", "tracker_events", ["item_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_tracker_events_item_id_id", table_name="tracker_events")
    op.drop_table("tracker_events")
    op.drop_index(op.f("ix_tracker_comments_item_id"), table_name="tracker_comments")
    op.drop_table("tracker_comments")
    for name in (
        "ix_tracker_items_remind_at",
        "ix_tracker_items_next_escalation_at",
        "ix_tracker_items_status_created_at",
        "ix_tracker_items_assignee_id_status",
        "ix_tracker_items_reporter_id_created_at",
        "ix_tracker_items_program_status_due",
    ):
        op.drop_index(name, table_name="tracker_items")
    op.drop_table("tracker_items")
