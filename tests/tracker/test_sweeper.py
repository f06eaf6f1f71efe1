"""The SLA sweeper: reminders, one level at a time, state in the database, exactly once under concurrency."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

import pytest
from fake_clock import MONDAY_9AM
from sqlalchemy import func, insert, select
from tracker_support import CRED_LEAD, CRED_OWNER, PMO, REPORTER, new_item

from icam_bot.db import make_engine
from icam_bot.tracker.models import TrackerEvent, TrackerItem
from icam_bot.tracker.results import NotificationKind as K
from icam_bot.tracker.sweeper import Sweeper


def test_reminds_then_escalates_one_level_per_interval(service, engine, programs, clock):
    ref = service.create(new_item(severity="high")).item.ref  # 4 working hours to respond
    sent = []
    sweeper = Sweeper(engine, programs, notify=sent.append)
    assert sweeper.sweep_once(MONDAY_9AM + dt.timedelta(hours=2)).escalated == ()
    reminded = sweeper.sweep_once(MONDAY_9AM + dt.timedelta(hours=3, minutes=1))  # 75 % of the window
    assert reminded.reminded == (ref,)
    assert [(n.recipient, n.kind) for n in sent] == [(CRED_OWNER, K.SLA_REMINDER)]
    late = MONDAY_9AM + dt.timedelta(hours=4, minutes=1)
    first = sweeper.sweep_once(late)
    assert first.escalated == (ref,)
    assert {(n.recipient, n.kind) for n in first.notifications} == {
        (CRED_LEAD, K.ESCALATED),
        (CRED_OWNER, K.SLA_BREACHED),
    }
    assert "first-response SLA missed" in first.notifications[0].detail
    assert sweeper.sweep_once(late + dt.timedelta(minutes=5)).escalated == ()  # once per level
    # a restarted sweeper (new object) picks up the state from the database: the next level gets 4 more
    # working hours, i.e. from Monday 13:01 to Tuesday 08:01 in New York
    restarted = Sweeper(engine, programs)
    assert restarted.sweep_once(late + dt.timedelta(hours=18, minutes=59)).escalated == ()
    second = restarted.sweep_once(late + dt.timedelta(hours=19))
    assert (second.notifications[0].recipient, second.notifications[0].kind) == (PMO, K.ESCALATED)
    third = restarted.sweep_once(late + dt.timedelta(days=2))
    assert third.notifications[0].recipient == "C0EXAMPLEESC"
    assert restarted.sweep_once(late + dt.timedelta(days=30)).escalated == ()  # top of the chain
    events, _ = service.history(ref, actor=PMO)
    escalations = [(e.actor_id, e.before, e.after) for e in events if e.action == "escalated"]
    assert escalations == [("icam-bot", "0", "1"), ("icam-bot", "1", "2"), ("icam-bot", "2", "3")]
    assert [e.action for e in events].count("reminded") == 1


def test_responded_waiting_and_resolved_items_follow_their_own_clock(service, engine, programs, clock):
    responded = service.create(new_item(severity="high")).item.ref
    waiting = service.create(new_item(severity="high")).item.ref
    resolved = service.create(new_item(severity="high")).item.ref
    service.comment(responded, "on it", actor=CRED_OWNER)
    service.set_status(waiting, "waiting", actor=CRED_OWNER, note="need your card serial")
    service.resolve(resolved, "done", actor=CRED_OWNER)
    sweeper = Sweeper(engine, programs)
    assert sweeper.sweep_once(MONDAY_9AM + dt.timedelta(hours=5)).escalated == ()
    # the responded item still owes a resolution within 24 working hours (Wednesday 15:00 New York)
    overdue = sweeper.sweep_once(dt.datetime(2026, 3, 4, 20, 1, tzinfo=dt.UTC))
    assert overdue.escalated == (responded,)
    assert "resolution SLA missed" in overdue.notifications[0].detail


async def test_run_forever_sweeps_until_stopped(service, engine, programs):
    service.create(new_item(severity="critical"))
    delivered = []

    async def deliver(note):
        delivered.append(note)

    stop = asyncio.Event()
    sweeper = Sweeper(engine, programs, clock=lambda: MONDAY_9AM + dt.timedelta(days=1))
    task = asyncio.create_task(sweeper.run_forever(0.01, stop=stop, deliver=deliver))
    while not any(n.kind is K.ESCALATED for n in delivered):
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert delivered[0].recipient in {CRED_OWNER, CRED_LEAD}


def _seed_overdue(engine, count: int) -> None:
    due = MONDAY_9AM - dt.timedelta(days=1)
    row = {
        "kind": "issue",
        "title": "overdue",
        "description": "overdue",
        "program": "credentialing",
        "severity": "high",
        "status": "new",
        "reporter_id": REPORTER,
        "assignee_id": CRED_OWNER,
        "first_response_due_at": due,
        "resolution_due_at": due + dt.timedelta(days=3),
        "escalation_level": 0,
        "next_escalation_at": due,
        "created_at": due - dt.timedelta(hours=4),
        "updated_at": due,
    }
    with engine.begin() as conn:
        conn.execute(insert(TrackerItem), [row] * count)


def _race(url: str, programs, sweepers: int) -> list[list[str]]:
    results: list[list[str]] = [[] for _ in range(sweepers)]
    barrier = threading.Barrier(sweepers)
    errors = []

    def run(slot: int) -> None:
        engine = make_engine(url)  # each sweeper has its own engine, as separate processes would
        try:
            sweeper = Sweeper(engine, programs, batch_size=50)
            barrier.wait()
            results[slot] = list(sweeper.sweep_once(MONDAY_9AM).escalated)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(sweepers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    return results


def _assert_each_escalated_once(engine, results, count):
    refs = [ref for part in results for ref in part]
    assert len(refs) == len(set(refs)) == count
    with engine.connect() as conn:
        per_item = conn.execute(
            select(TrackerEvent.item_id, func.count())
            .where(TrackerEvent.action == "escalated")
            .group_by(TrackerEvent.item_id)
        ).all()
        levels = set(conn.scalars(select(TrackerItem.escalation_level)))
    assert len(per_item) == count
    assert {n for _, n in per_item} == {1}
    assert levels == {1}


@pytest.mark.postgres
@pytest.mark.slow
def test_two_sweepers_escalate_each_of_1000_items_exactly_once_on_postgres(empty_url, engine, programs):
    if not empty_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only (SKIP LOCKED)")
    _seed_overdue(engine, 1000)
    results = _race(empty_url, programs, 2)
    assert all(results), "both sweepers should have taken a share of the work"
    _assert_each_escalated_once(engine, results, 1000)


def test_two_sweepers_on_sqlite_escalate_each_item_exactly_once(empty_url, engine, programs):
    if not empty_url.startswith("sqlite"):
        pytest.skip("SQLite variant (conditional UPDATE claim)")
    _seed_overdue(engine, 200)
    _assert_each_escalated_once(engine, _race(empty_url, programs, 2), 200)
