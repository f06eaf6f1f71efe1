"""Answer analytics: the category (and redirects) of logged questions, the category of feedback, the question a
tracker item came from, and the indexes the weekly group-bys read.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("question_log", sa.Column("category", sa.String(length=64), nullable=True))
    op.create_index("ix_question_log_asked_at_category_decision", "question_log", ["asked_at", "category", "decision"])
    op.add_column("answer_feedback", sa.Column("category", sa.String(length=64), nullable=True))
    op.create_index("ix_answer_feedback_created_at", "answer_feedback", ["created_at"])
    op.add_column("tracker_items", sa.Column("question_log_id", sa.Integer(), nullable=True))
    op.create_index("ix_tracker_items_question_log_id", "tracker_items", ["question_log_id"])
    op.create_index("ix_tracker_items_created_at", "tracker_items", ["created_at"])
    op.create_index("ix_unanswered_questions_last_asked_at", "unanswered_questions", ["last_asked_at"])


def downgrade() -> None:
    op.drop_index("ix_unanswered_questions_last_asked_at", table_name="unanswered_questions")
    op.drop_index("ix_tracker_items_created_at", table_name="tracker_items")
    op.drop_index("ix_tracker_items_question_log_id", table_name="tracker_items")
    op.drop_column("tracker_items", "question_log_id")
    op.drop_index("ix_answer_feedback_created_at", table_name="answer_feedback")
    op.drop_column("answer_feedback", "category")
    op.drop_index("ix_question_log_asked_at_category_decision", table_name="question_log")
    op.drop_column("question_log", "category")
