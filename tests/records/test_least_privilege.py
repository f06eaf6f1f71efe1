"""deploy/sql/least-privilege.sql on PostgreSQL: the bot's role works, and cannot rewrite history or the schema."""

from __future__ import annotations

import datetime as dt
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from database_support import PG_URL, postgres_schema
from fake_clock import Clock
from knowledge_gaps import UNANSWERED_QUESTION
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from tracker_support import CRED_OWNER, PMO, new_item

from icam_bot.comms.announcements import AnnouncementDraft, AnnouncementService
from icam_bot.db import make_engine, upgrade
from icam_bot.questions.store import Store
from icam_bot.retention.job import RetentionJob, RetentionPolicy
from icam_bot.tracker.service import TrackerService

pytestmark = pytest.mark.postgres

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "sql" / "least-privilege.sql"


def _psql(url: str, schema: str, migrator: str, app: str) -> None:
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    plain = plain.split("?")[0]
    variables = {"schema": schema, "migrator": migrator, "app": app}
    args = [arg for name, value in variables.items() for arg in ("-v", f"{name}={value}")]
    subprocess.run(["psql", plain, "-q", "-v", "ON_ERROR_STOP=1", *args, "-f", str(SCRIPT)], check=True)


def _as_role(url: str, role: str) -> Engine:
    engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def _set_role(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f'SET ROLE "{role}"')
        dbapi_connection.commit()

    return engine


@pytest.fixture
def app_engine() -> Iterator[Engine]:
    if not PG_URL:
        pytest.skip("ICAM_TEST_DATABASE_URL is not set")
    suffix = uuid.uuid4().hex[:8]
    migrator, app = f"icam_migrator_{suffix}", f"icam_app_{suffix}"
    admin = create_engine(PG_URL)
    with postgres_schema(PG_URL) as url:
        owner = make_engine(url)
        upgrade(owner)
        owner.dispose()
        schema = make_url(url).query["options"].split("=", 1)[1]
        try:
            _psql(PG_URL, schema, migrator, app)
            _psql(PG_URL, schema, migrator, app)  # idempotent: run after every upgrade
            engine = _as_role(url, app)
            yield engine
            engine.dispose()
        finally:
            with admin.begin() as conn:
                for role in (app, migrator):
                    if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
                        conn.execute(text(f'DROP OWNED BY "{role}" CASCADE'))
                        conn.execute(text(f'DROP ROLE "{role}"'))
    admin.dispose()


def _denied(engine: Engine, statement: str) -> None:
    with pytest.raises(DBAPIError, match=r"permission denied|must be owner"), engine.begin() as conn:
        conn.execute(text(statement))


def test_the_bot_works_as_the_least_privilege_role(app_engine, programs):
    tracker = TrackerService(app_engine, programs, clock=Clock())
    ref = tracker.create(new_item()).item.ref
    tracker.assign(ref, CRED_OWNER, actor=PMO)
    tracker.comment(ref, "Which laptop model?", actor=CRED_OWNER)
    tracker.resolve(ref, "replaced the reader", actor=CRED_OWNER)
    tracker.close(ref, actor=PMO)
    assert tracker.get(ref, actor=PMO).status.value == "closed"
    store = Store(app_engine)
    store.log_question(user_id="U1", text="q", decision="abstain", surface="dm")
    store.record_unanswered("how do I get a parking permit?", "U1")
    store.record_unanswered("how do I get a parking permit?", "U2")
    assert store.claim_event("Ev1")
    store.prune_events()
    announcements = AnnouncementService(app_engine)
    draft = announcements.save_draft(PMO, AnnouncementDraft(audience="all", body="Hello"))
    assert announcements.confirm(draft.id, PMO) is not None
    announcements.record_delivery(draft.id, "C0EXAMPLE01", message_ts="1.1")
    announcements.finish(draft.id)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=10)
    report = RetentionJob(app_engine, RetentionPolicy(1, 1), clock=lambda: later).run(actor="ops")
    assert (report.question_log, report.unanswered, report.items, report.comments) == (1, 1, 1, 2)
    assert tracker.get(ref, actor=PMO).title == "[redacted]"


def test_the_outbox_and_stored_questions_work_as_the_least_privilege_role(app_engine, programs):
    """The durability tables (migration 0007) are working tables: claimed, settled, answered, pruned, purged."""
    from icam_bot.db.session import make_session_factory
    from icam_bot.inbox.service import Question, QuestionInbox
    from icam_bot.inbox.service import prune as prune_questions
    from icam_bot.outbox.service import OutboxService, Outcome
    from icam_bot.outbox.service import prune as prune_outbox

    tracker = TrackerService(app_engine, programs, clock=Clock())
    ref = tracker.create(new_item(), keys=("view:V1",)).item.ref
    assert tracker.create(new_item(), keys=("view:V1",)).duplicate  # the submission key is found
    tracker.comment(ref, "Which laptop model?", actor=CRED_OWNER, keys=("comment:1",))
    outbox = OutboxService(make_session_factory(app_engine), "replica-1")
    rows = outbox.claim()
    assert rows
    for row in rows:
        assert outbox.settle(row, Outcome(ts="1.1"))
    inbox = QuestionInbox(app_engine)
    stored = inbox.store(Question("event:Ev9", "U1", "D1", "dm", "how do I reset my PIN?"), "replica-1", event_id="Ev9")
    assert stored is not None
    assert inbox.start_answering(stored.id, "replica-1")
    assert inbox.renew([stored.id], "replica-1") == 0  # the answer lease is longer than a renewal
    assert inbox.claim_send(stored.id, "replica-1")
    assert inbox.answered(stored.id, "replica-1")
    prune_outbox(app_engine)
    prune_questions(app_engine)
    tracker.resolve(ref, "replaced the reader", actor=CRED_OWNER)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=10)
    report = RetentionJob(app_engine, RetentionPolicy(1, 1), clock=lambda: later).run(actor="ops")
    assert (report.items, report.stored_questions) == (1, 1)
    with app_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM pending_questions")).scalar() == 0


def test_the_bot_role_cannot_rewrite_history_or_change_the_schema(app_engine, programs):
    tracker = TrackerService(app_engine, programs, clock=Clock())
    tracker.get(tracker.create(new_item()).item.ref, actor=PMO)
    for table in ("tracker_events", "board_events", "announcement_deliveries", "access_events"):
        _denied(app_engine, f"UPDATE {table} SET id = id")
        _denied(app_engine, f"DELETE FROM {table}")
        _denied(app_engine, f"TRUNCATE {table}")
    _denied(app_engine, "DELETE FROM tracker_items")
    _denied(app_engine, "UPDATE announcements SET body = 'rewritten'")
    _denied(app_engine, "DELETE FROM announcements")
    _denied(app_engine, "DELETE FROM tracker_comments")
    _denied(app_engine, "UPDATE tracker_comments SET author_id = 'U0SOMEONE1'")
    _denied(app_engine, "INSERT INTO alembic_version VALUES ('9999')")
    _denied(app_engine, "CREATE TABLE sneaky (id int)")
    _denied(app_engine, "ALTER TABLE tracker_events DISABLE TRIGGER ALL")
    _denied(app_engine, "DROP TRIGGER tracker_events_append_only ON tracker_events")


def test_help_channels_and_webhook_deliveries_work_as_the_least_privilege_role(app_engine):
    """Migration 0011's working tables: channels switched on and off, deliveries claimed, settled, retried, pruned;
    the audit of the switches stays append-only."""
    from webhook_support import routing

    from icam_bot.channels.service import ListenService
    from icam_bot.db.session import make_session_factory
    from icam_bot.webhooks.service import Attempt, WebhookDeliveries
    from icam_bot.webhooks.service import prune as prune_webhooks
    from icam_bot.webhooks.settings import WebhookSettings

    listening = ListenService(app_engine)
    assert listening.set("C0EXAMPLEHELP", True, PMO)
    assert listening.set("C0EXAMPLEHELP", False, PMO)
    assert not listening.is_listened("C0EXAMPLEHELP")
    _denied(app_engine, "DELETE FROM channel_events")
    TrackerService(app_engine, routing("https://tickets.example.gov/icam"), clock=Clock()).create(new_item())
    deliveries = WebhookDeliveries(make_session_factory(app_engine), "replica-1", WebhookSettings(max_attempts=1))
    (due,) = deliveries.claim()
    assert deliveries.settle(due, Attempt(500, "HTTP 500")) == "dead"
    assert deliveries.retry(due.id) is not None
    (due,) = deliveries.claim()
    assert deliveries.settle(due, Attempt(200)) == "delivered"
    prune_webhooks(app_engine)


def test_teaching_works_as_the_least_privilege_role(app_engine, programs, responder):
    """Issue 14's tables: signals closed, changes live then retired, the version bumped, all as the bot's role."""
    import dataclasses

    from icam_bot.answers import Responder
    from icam_bot.questions.answering import AnswerService, Asker
    from icam_bot.teaching.live import LiveKnowledge, rebuild_matcher
    from icam_bot.teaching.service import TeachingService

    own = Responder(responder.kb, rebuild_matcher(responder.matcher, responder.kb))
    AnswerService(own, Store(app_engine)).answer(UNANSWERED_QUESTION, Asker("U1", "dm", "D"))
    roles = dataclasses.replace(programs, pmo_members=frozenset({PMO, "U0PMO0000B"}))
    teaching = TeachingService(app_engine, own, roles)
    key = teaching.queue(PMO)[0].key
    assert teaching.close_with_entry(PMO, key, "app-why-sso").notified == 1
    live = LiveKnowledge(own, app_engine, 0.0, retire=True)
    assert live.refresh(force=True)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=10)
    # the two signals deleted, the closed row's askers and wording cleared
    assert RetentionJob(app_engine, RetentionPolicy(1, None), clock=lambda: later).run(actor="ops").unanswered == 3
