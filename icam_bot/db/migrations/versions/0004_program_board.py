"""Program status board: per-program RAG, workstreams, milestones and their append-only audit trail.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
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
PROGRAM_CHECK = "program IN (" + ", ".join(f"'{p}'" for p in PROGRAMS) + ")"
RAGS = ("green", "amber", "red")
STATUSES = ("planned", "in_progress", "done", "cancelled")
#: Open tracker items per program, kind and severity (the enterprise view) from the index alone.
TRACKER_INDEX = "ix_tracker_items_status_program_kind_severity"


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "board_programs",
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("rag", _enum("rag", *RAGS), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        *_stamps(),
        sa.CheckConstraint(PROGRAM_CHECK, name=op.f("ck_board_programs_program")),
        sa.PrimaryKeyConstraint("program", name=op.f("pk_board_programs")),
    )
    op.create_table(
        "board_workstreams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", _enum("status", *STATUSES), nullable=False),
        sa.Column("rag", _enum("rag", *RAGS), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        *_stamps(),
        sa.CheckConstraint(PROGRAM_CHECK, name=op.f("ck_board_workstreams_program")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_workstreams")),
        sa.UniqueConstraint("program", "name", name=op.f("uq_board_workstreams_program")),
    )
    op.create_table(
        "board_milestones",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("workstream_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", _enum("status", *STATUSES), nullable=False),
        sa.Column("rag", _enum("rag", *RAGS), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        *_stamps(),
        sa.CheckConstraint(PROGRAM_CHECK, name=op.f("ck_board_milestones_program")),
        sa.ForeignKeyConstraint(
            ["workstream_id"],
            ["board_workstreams.id"],
            name=op.f("fk_board_milestones_workstream_id_board_workstreams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_milestones")),
        sa.UniqueConstraint("program", "name", name=op.f("uq_board_milestones_program")),
    )
    op.create_index("ix_board_milestones_program_status_due", "board_milestones", ["program", "status", "due_date"])
    op.create_index(op.f("ix_board_milestones_workstream_id"), "board_milestones", ["workstream_id"])
    op.create_table(
        "board_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("target_name", sa.String(length=120), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_events")),
    )
    op.create_index("ix_board_events_program_id", "board_events", ["program", "id"])
    op.create_index("ix_board_events_target_target_id_id", "board_events", ["target", "target_id", "id"])
    op.create_index(TRACKER_INDEX, "tracker_items", ["status", "program", "kind", "severity"])


def downgrade() -> None:
    op.drop_index(TRACKER_INDEX, table_name="tracker_items")
    op.drop_index("ix_board_events_target_target_id_id", table_name="board_events")
    op.drop_index("ix_board_events_program_id", table_name="board_events")
    op.drop_table("board_events")
    op.drop_index(op.f("ix_board_milestones_workstream_id"), table_name="board_milestones")
    op.drop_index("ix_board_milestones_program_status_due", table_name="board_milestones")
    op.drop_table("board_milestones")
    op.drop_table("board_workstreams")
    op.drop_table("board_programs")
