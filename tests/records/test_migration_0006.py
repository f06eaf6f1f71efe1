"""Migration 0006 on a database with data: rows survive the upgrade (SQLite rebuilds tables for the foreign
keys) and the downgrade, and the triggers guard them afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from icam_bot.db import make_engine, upgrade
from icam_bot.db.migrate import alembic_config

NOW = "2026-03-02 14:00:00+00:00"
ROWS = {
    "tracker_items": 1,
    "tracker_events": 2,
    "tracker_comments": 1,
    "announcements": 1,
    "announcement_deliveries": 1,
}


def _seed_0005(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tracker_items (id, kind, title, description, program, severity, status, reporter_id, "
                "first_response_due_at, resolution_due_at, escalation_level, created_at, updated_at) VALUES "
                "(1, 'issue', 't', 'd', 'pacs', 'low', 'new', 'U0STAFF001', :now, :now, 0, :now, :now)"
            ),
            {"now": NOW},
        )
        for event_id in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO tracker_events (id, item_id, actor_id, action, created_at) "
                    "VALUES (:id, 1, 'U0STAFF001', 'created', :now)"
                ),
                {"id": event_id, "now": NOW},
            )
        conn.execute(
            text(
                "INSERT INTO tracker_comments (id, item_id, author_id, body, created_at) VALUES (1, 1, 'U1', 'c', :n)"
            ),
            {"n": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO announcements (id, author_id, audience, body, status, created_at) "
                "VALUES (1, 'U1', 'all', 'hello', 'sent', :n)"
            ),
            {"n": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO announcement_deliveries (id, announcement_id, channel_id, status, attempted_at) "
                "VALUES (1, 1, 'C1', 'sent', :n)"
            ),
            {"n": NOW},
        )


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in ROWS}


def _downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


@pytest.fixture
def engine_at_0005(empty_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_url)
    upgrade(engine, "0005")
    _seed_0005(engine)
    yield engine
    engine.dispose()


def test_upgrade_keeps_existing_rows_and_then_guards_them(engine_at_0005):
    engine = engine_at_0005
    upgrade(engine)
    assert _counts(engine) == ROWS
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("DELETE FROM tracker_events"))
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("DELETE FROM tracker_items"))
    assert _counts(engine) == ROWS


def test_downgrade_to_0005_keeps_the_rows(engine_at_0005):
    engine = engine_at_0005
    upgrade(engine)
    _downgrade(engine, "0005")
    assert _counts(engine) == ROWS
    with engine.begin() as conn:  # back to 0005: no triggers any more
        conn.execute(text("UPDATE tracker_events SET detail = 'x'"))
    upgrade(engine)
    assert _counts(engine) == ROWS
