"""The retention job: question logs past their period are purged, finished items past theirs have their free
text redacted (a new ``redacted`` event; audit rows are never touched), every real run is recorded."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select
from tracker_support import CRED_OWNER, PMO, new_item

from icam_bot.config import ConfigError, Settings
from icam_bot.questions.models import QuestionLog
from icam_bot.questions.store import Store
from icam_bot.records.access import AccessFilter, AccessLog
from icam_bot.retention.job import REDACTED, RetentionJob, RetentionPolicy
from icam_bot.tracker.models import TrackerComment, TrackerEvent, TrackerItem
from icam_bot.tracker.service import TrackerService


@pytest.fixture
def tracker(engine, programs, clock) -> TrackerService:
    return TrackerService(engine, programs, clock=clock)


def job(engine, clock, questions: int | None = None, items: int | None = None) -> RetentionJob:
    return RetentionJob(engine, RetentionPolicy(questions, items), clock=clock)


def count(engine, model, *where) -> int:
    with Store(engine).sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)))


def test_question_logs_past_their_period_are_purged(engine, clock, monkeypatch):
    store = Store(engine)
    monkeypatch.setattr("icam_bot.questions.store.utcnow", clock)
    store.log_question(user_id="U1", text="my clearance was revoked, why?", decision="abstain", surface="dm")
    store.record_unanswered("my clearance was revoked, why?", "U1")
    clock.advance(days=40)
    store.log_question(user_id="U2", text="recent question", decision="abstain", surface="dm")
    store.record_unanswered("recent question", "U2")
    dry = job(engine, clock, questions=30).run(actor="records-officer", dry_run=True)
    assert (dry.question_log, dry.unanswered, dry.dry_run) == (1, 1, True)
    assert count(engine, QuestionLog) == 2  # a dry run changes nothing
    done = job(engine, clock, questions=30).run(actor="records-officer")
    assert (done.question_log, done.unanswered, done.items) == (1, 1, 0)
    assert [q.text for q in store.recent_questions("U1")] == []
    assert [q.text for q in store.recent_questions("U2")] == ["recent question"]
    assert [g.text for g in store.top_unanswered()] == ["recent question"]
    (record,) = AccessLog(engine).events(AccessFilter(action="retention"))
    assert (record.actor_id, record.outcome) == ("records-officer", "allowed")
    assert "1 question log row(s)" in (record.detail or "")


def test_finished_items_past_their_period_are_redacted_and_their_history_kept(engine, tracker, clock):
    old = tracker.create(new_item(title="Clearance issue for J. Doe", bureau="Security")).item.ref
    tracker.comment(old, "J. Doe's adjudication notes", actor=CRED_OWNER)
    tracker.resolve(old, "badge pulled", actor=CRED_OWNER)
    tracker.close(old, actor=PMO)
    still_open = tracker.create(new_item()).item.ref
    clock.advance(days=100)
    recent = tracker.create(new_item()).item.ref
    tracker.close(recent, actor=PMO)
    with tracker.sessions() as session:
        history_before = [(e.id, e.action, e.before, e.after, e.detail) for e in session.scalars(select(TrackerEvent))]
    assert job(engine, clock, items=90).run(actor="ops", dry_run=True).items == 1
    report = job(engine, clock, items=90).run(actor="ops")
    assert (report.items, report.comments, report.question_log) == (1, 2, 0)  # the comment and the resolution
    view = tracker.get(old, actor=PMO)
    assert (view.title, view.description, view.resolution, view.bureau) == (REDACTED, REDACTED, REDACTED, None)
    events, comments = tracker.history(old, actor=PMO)
    assert [c.body for c in comments] == [REDACTED, REDACTED]
    assert events[-1].action == "redacted"
    assert events[-1].actor_id == "icam-bot"
    assert "90 days" in (events[-1].detail or "")
    with tracker.sessions() as session:
        rows = [(e.id, e.action, e.before, e.after, e.detail) for e in session.scalars(select(TrackerEvent))]
    assert rows[: len(history_before)] == history_before  # audit rows untouched, one appended
    assert len(rows) == len(history_before) + 1
    assert tracker.get(still_open, actor=PMO).title != REDACTED
    assert tracker.get(recent, actor=PMO).title != REDACTED
    again = job(engine, clock, items=90).run(actor="ops")
    assert again.items == 0  # idempotent
    assert count(engine, TrackerItem, TrackerItem.redacted_at.is_not(None)) == 1
    assert count(engine, TrackerComment, TrackerComment.body == REDACTED) == 2


def test_nothing_happens_when_retention_is_off(engine, tracker, clock):
    tracker.close(tracker.create(new_item()).item.ref, actor=PMO)
    clock.advance(days=3650)
    report = job(engine, clock).run(actor="ops")
    assert (report.items, report.question_log, report.unanswered) == (0, 0, 0)
    assert AccessLog(engine).events(AccessFilter(action="retention")) == []


def test_retention_settings_are_validated():
    env = {"ICAM_RETENTION_QUESTIONS_DAYS": "365", "ICAM_RETENTION_CLOSED_ITEMS_DAYS": "off"}
    settings = Settings.from_env(env)
    assert settings.retention == RetentionPolicy(questions_days=365, closed_items_days=None)
    assert not Settings.from_env({}).retention.enabled
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"ICAM_RETENTION_QUESTIONS_DAYS": "-3", "ICAM_RETENTION_CLOSED_ITEMS_DAYS": "a year"})
    assert len(caught.value.problems) == 2
    assert "ICAM_RETENTION_QUESTIONS_DAYS" in caught.value.problems[0]


def test_retention_command_dry_run_and_real_run(engine, tracker, clock, monkeypatch, capsys):
    from icam_bot.cli.main import main

    ref = tracker.create(new_item()).item.ref
    tracker.close(ref, actor=PMO)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert main(["retention", "--dry-run"]) == 0
    assert "retention is off" in capsys.readouterr().out
    monkeypatch.setenv("ICAM_RETENTION_CLOSED_ITEMS_DAYS", "1")  # the item closed at clock time, long ago
    assert main(["retention", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would redact 1 finished item(s)" in out
    assert tracker.get(ref, actor=PMO).title != REDACTED
    assert main(["retention", "--actor", "records-officer"]) == 0
    assert "redacted 1 finished item(s)" in capsys.readouterr().out
    assert tracker.get(ref, actor=PMO).title == REDACTED
    (record,) = AccessLog(engine).events(AccessFilter(action="retention"))
    assert (record.actor_id, record.surface) == ("records-officer", "cli")


def test_retention_periods_are_days_before_now(clock):
    policy = RetentionPolicy(questions_days=30, closed_items_days=None)
    assert policy.questions_cutoff(clock.now) == clock.now - dt.timedelta(days=30)
    assert policy.items_cutoff(clock.now) is None


async def test_serve_applies_retention_in_the_background_and_stops_cleanly(engine, tracker, clock):
    from types import SimpleNamespace

    from handlers.runtime.retention import RetentionTask

    ref = tracker.create(new_item()).item.ref
    tracker.close(ref, actor=PMO)
    clock.advance(days=31)
    services = SimpleNamespace(tracker=tracker, retention=RetentionPolicy(closed_items_days=30), clock=clock)

    task = RetentionTask.maybe_start(services)  # type: ignore[arg-type]
    assert task is not None
    for _ in range(200):
        if count(engine, TrackerItem, TrackerItem.redacted_at.is_not(None)):
            break
        await asyncio.sleep(0.02)
    await task.stop(timeout=5)
    assert tracker.get(ref, actor=PMO).title == REDACTED
    (record,) = AccessLog(engine).events(AccessFilter(action="retention"))
    assert (record.actor_id, record.surface) == ("icam-bot", "serve")
    off = SimpleNamespace(tracker=tracker, retention=RetentionPolicy())
    assert RetentionTask.maybe_start(off) is None  # type: ignore[arg-type]


def test_closed_review_rows_lose_the_askers_and_their_wording_with_the_question_logs(engine, clock):
    """A row the PMO closed keeps who closed it and how (the teaching audit refers to it), not who asked what."""
    from icam_bot.teaching.models import ReviewClosure

    with Store(engine).sessions.begin() as session:
        session.add(
            ReviewClosure(
                action="entry",
                target_id="piv-pin-reset",
                questions=["my piv is locked after the move"],
                askers=[["U1", "my piv is locked after the move"]],
                closed_by=PMO,
                closed_at=clock() - dt.timedelta(days=40),
            )
        )
        session.add(
            ReviewClosure(
                action="ignore",
                questions=["recent one"],
                askers=[["U2", "recent one"]],
                closed_by=PMO,
                closed_at=clock() - dt.timedelta(days=1),
            )
        )
    assert job(engine, clock, questions=30).run(actor="records-officer", dry_run=True).unanswered == 1
    assert job(engine, clock, questions=30).run(actor="records-officer").unanswered == 1
    with Store(engine).sessions() as session:
        rows = {r.action: r for r in session.scalars(select(ReviewClosure))}
    assert (rows["entry"].questions, rows["entry"].askers, rows["entry"].closed_by) == ([], [], PMO)
    assert rows["entry"].target_id == "piv-pin-reset"
    assert rows["ignore"].askers == [["U2", "recent one"]]
    assert job(engine, clock, questions=30).run(actor="records-officer").unanswered == 0  # done once
