"""AU-2/AU-12: reads of items, queues, risks and statistics leave an append-only access record, refusals too."""

from __future__ import annotations

import pytest
from fake_clock import Clock
from sqlalchemy import Engine, select
from tracker_support import CRED_OWNER, OTHER_STAFF, PMO, REPORTER, new_item

from icam_bot.board.service import BoardService
from icam_bot.records.access import AccessFilter, AccessLog
from icam_bot.records.models import AccessEvent
from icam_bot.tracker.errors import ItemNotFoundError, PermissionDeniedError
from icam_bot.tracker.service import TrackerService


@pytest.fixture
def tracker(engine: Engine, programs, clock: Clock) -> TrackerService:
    return TrackerService(engine, programs, clock=clock)


@pytest.fixture
def log(engine: Engine, clock: Clock) -> AccessLog:
    return AccessLog(engine, clock=clock)


def trail(log: AccessLog) -> list[tuple[str, str, str, str]]:
    return [(e.actor_id, e.action, e.target, e.outcome) for e in reversed(log.events(AccessFilter()))]


def test_viewing_an_item_is_recorded_with_who_what_and_when(tracker, log, clock):
    item = tracker.create(new_item()).item
    assert log.events(AccessFilter()) == []  # creating is audited as a tracker event, not a read
    tracker.get(item.ref, actor=REPORTER)
    tracker.history(item.ref, actor=PMO)
    (history, view) = log.events(AccessFilter())
    assert (view.actor_id, view.surface, view.action, view.target, view.outcome) == (
        REPORTER,
        "slack",
        "item_view",
        item.ref,
        "allowed",
    )
    assert view.item_id == item.id
    assert view.created_at == clock.now
    assert (history.actor_id, history.action, history.detail) == (PMO, "item_view", "history")


def test_refused_and_unknown_item_lookups_are_recorded(tracker, log):
    item = tracker.create(new_item()).item
    with pytest.raises(PermissionDeniedError):
        tracker.get(item.ref, actor=OTHER_STAFF)
    with pytest.raises(ItemNotFoundError):
        tracker.get("ICAM-999", actor=OTHER_STAFF)
    assert trail(log) == [
        (OTHER_STAFF, "item_view", item.ref, "refused"),
        (OTHER_STAFF, "item_view", "ICAM-999", "not_found"),
    ]
    refused = log.events(AccessFilter(outcome="refused"))[0]
    assert "belongs to someone else" in (refused.detail or "")


def test_queue_stats_and_risks_reads_are_recorded(engine, tracker, log, programs, clock):
    tracker.create(new_item())
    board = BoardService(engine, programs, clock=clock)
    tracker.queue(actor=PMO)
    tracker.queue(actor=CRED_OWNER, program="credentialing")
    with pytest.raises(PermissionDeniedError):
        tracker.queue(actor=OTHER_STAFF)
    tracker.stats(actor=PMO)
    with pytest.raises(PermissionDeniedError):
        tracker.stats(actor=REPORTER)
    board.top_risks(actor=PMO)
    with pytest.raises(PermissionDeniedError):
        board.top_risks(actor=REPORTER)
    assert trail(log) == [
        (PMO, "queue", "all programs", "allowed"),
        (CRED_OWNER, "queue", "credentialing", "allowed"),
        (OTHER_STAFF, "queue", "all programs", "refused"),
        (PMO, "stats", "all programs", "allowed"),
        (REPORTER, "stats", "all programs", "refused"),
        (PMO, "risks", "all programs", "allowed"),
        (REPORTER, "risks", "all programs", "refused"),
    ]
    assert log.events(AccessFilter(action="queue"))[-1].detail == "1 item(s)"


def test_access_log_filters_by_actor_item_and_time(tracker, log, clock):
    first = tracker.create(new_item()).item
    second = tracker.create(new_item()).item
    tracker.get(first.ref, actor=PMO)
    clock.advance(days=2)
    tracker.get(second.ref, actor=REPORTER)
    assert [e.target for e in log.events(AccessFilter(actor=PMO))] == [first.ref]
    assert [e.actor_id for e in log.events(AccessFilter(item_id=second.id))] == [REPORTER]
    assert [e.target for e in log.events(AccessFilter(since=clock.now.date()))] == [second.ref]
    assert len(log.events(AccessFilter(limit=1))) == 1


def test_access_events_are_append_only(engine, tracker, log):
    tracker.get(tracker.create(new_item()).item.ref, actor=PMO)
    with log.sessions.begin() as session:
        row = session.scalars(select(AccessEvent)).one()
        row.actor_id = "U0SOMEONE1"
        with pytest.raises(RuntimeError, match="append-only"):
            session.flush()
