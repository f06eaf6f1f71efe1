"""AU-9: the audit tables refuse UPDATE and DELETE in the database itself, whatever the client (raw SQL,
bulk statements, another program), and items cannot be deleted out from under their history."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError
from tracker_support import PMO, new_item

from icam_bot.board.models import BoardEvent
from icam_bot.channels.service import ListenService
from icam_bot.comms.announcements import AnnouncementDraft, AnnouncementService
from icam_bot.db.session import make_session_factory
from icam_bot.tracker.service import TrackerService

NOW = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)
#: Every append-only audit table (migrations 0006 and 0011 put a trigger on each).
AUDIT_TABLES = ("tracker_events", "board_events", "announcement_deliveries", "access_events", "channel_events")


def _seed(engine: Engine, service: TrackerService) -> int:
    """An item with events and a comment, a board event and an announcement delivery; returns the item id."""
    item = service.create(new_item()).item
    service.comment(item.ref, "Which laptop model?", actor=PMO)
    service.get(item.ref, actor=PMO)  # an access event
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        session.add(
            BoardEvent(
                program="pacs", target="program", target_name="pacs", actor_id=PMO, action="changed", created_at=NOW
            )
        )
    announcements = AnnouncementService(sessions, clock=lambda: NOW)
    draft = announcements.save_draft(PMO, AnnouncementDraft(audience="all", body="Hello"))
    announcements.record_delivery(draft.id, "C0EXAMPLE01", message_ts="1.1")
    ListenService(sessions).set("C0EXAMPLEHELP", True, PMO)
    return item.id


def _refused(engine: Engine, statement: str) -> str:
    with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
        conn.execute(text(statement))
    return str(caught.value.orig)


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.fixture
def seeded(engine: Engine, programs, clock) -> tuple[Engine, int]:
    return engine, _seed(engine, TrackerService(engine, programs, clock=clock))


@pytest.mark.parametrize("table", AUDIT_TABLES)
def test_raw_update_and_delete_of_audit_rows_are_refused(seeded, table):
    engine, _ = seeded
    before = _count(engine, table)
    assert before > 0
    assert "append-only" in _refused(engine, f"UPDATE {table} SET id = id")
    assert "append-only" in _refused(engine, f"DELETE FROM {table}")
    assert _count(engine, table) == before


def test_deleting_an_item_is_refused_and_keeps_its_history(seeded):
    engine, item_id = seeded
    events = _count(engine, "tracker_events")
    _refused(engine, f"DELETE FROM tracker_items WHERE id = {item_id}")
    assert _count(engine, "tracker_items") == 1
    assert _count(engine, "tracker_events") == events
    assert _count(engine, "tracker_comments") == 1
    _refused(engine, "DELETE FROM announcements")
    assert _count(engine, "announcement_deliveries") == 1


def test_comments_are_never_deleted_and_only_ever_redacted(seeded):
    engine, _ = seeded
    assert "redact" in _refused(engine, "DELETE FROM tracker_comments")
    assert "redact" in _refused(engine, "UPDATE tracker_comments SET body = 'rewritten'")
    assert "redact" in _refused(engine, "UPDATE tracker_comments SET author_id = 'U0SOMEONE1'")
    with engine.begin() as conn:  # the retention job's redaction is the one change allowed
        conn.execute(text("UPDATE tracker_comments SET body = '[redacted]'"))
        assert conn.execute(text("SELECT body FROM tracker_comments")).scalar_one() == "[redacted]"


@pytest.mark.postgres
def test_truncate_of_audit_tables_is_refused_on_postgres(seeded):
    engine, _ = seeded
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (SQLite has no TRUNCATE)")
    for table in AUDIT_TABLES:
        assert "append-only" in _refused(engine, f"TRUNCATE {table}")


def test_foreign_keys_onto_items_and_announcements_restrict(engine):
    found = {}
    for table in ("tracker_comments", "tracker_events", "announcement_deliveries"):
        for fk in inspect(engine).get_foreign_keys(table):
            found[table] = (fk["referred_table"], (fk.get("options") or {}).get("ondelete", "").upper())
    assert found == {
        "tracker_comments": ("tracker_items", "RESTRICT"),
        "tracker_events": ("tracker_items", "RESTRICT"),
        "announcement_deliveries": ("announcements", "RESTRICT"),
    }


def test_what_was_announced_cannot_be_rewritten(seeded):
    engine, _ = seeded
    for change in ("body = 'rewritten'", "headline = 'new'", "author_id = 'U0SOMEONE1'", "audience = 'pacs'"):
        assert "announcement" in _refused(engine, f"UPDATE announcements SET {change}")
    with engine.begin() as conn:  # its progress still moves on
        conn.execute(text("UPDATE announcements SET status = 'sent'"))
