"""Migrations are the schema: upgrade from empty, models agree with migrations, downgrade works."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from icam_bot.db import head_revision, schema_status, upgrade
from icam_bot.db.migrate import MIGRATIONS_DIR, alembic_config
from icam_bot.db.registry import load_models

TABLES = {
    "processed_events",
    "question_log",
    "unanswered_questions",
    "answer_feedback",
    "review_signals",
    "kb_live_changes",
    "kb_live_version",
    "kb_review_closures",
    "kb_teaching_events",
    "tracker_items",
    "tracker_comments",
    "tracker_events",
    "channel_subscriptions",
    "announcements",
    "announcement_deliveries",
    "digest_runs",
    "board_programs",
    "board_workstreams",
    "board_milestones",
    "board_events",
    "access_events",
    "outbox",
    "pending_questions",
    "tracker_submission_keys",
    "listened_channels",
    "channel_events",
    "webhook_deliveries",
    "alembic_version",
}


def test_upgrade_from_empty_creates_every_table(empty_engine):
    assert schema_status(empty_engine).current is None
    status = upgrade(empty_engine)
    assert status.up_to_date
    assert status.current == head_revision()
    assert set(inspect(empty_engine).get_table_names()) == TABLES
    assert upgrade(empty_engine).up_to_date  # idempotent


def test_autogenerate_finds_no_difference_between_models_and_migrations(empty_engine):
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, load_models()) == []


def test_downgrade_to_base_and_back(empty_engine):
    upgrade(empty_engine)
    config = alembic_config(empty_engine)
    with empty_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    assert upgrade(empty_engine).up_to_date


def test_migrations_are_packaged_with_the_code():
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert any(p.suffix == ".py" for p in (MIGRATIONS_DIR / "versions").iterdir())
