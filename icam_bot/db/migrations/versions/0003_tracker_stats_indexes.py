"""Indexes for tracker statistics at scale.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_tracker_items_status_program_severity": ["status", "program", "severity"],
    "ix_tracker_items_first_response_at": ["first_response_at"],
    "ix_tracker_items_resolved_at": ["resolved_at"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "tracker_items", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="tracker_items")
