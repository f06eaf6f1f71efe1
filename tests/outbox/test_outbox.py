"""The outbox: messages owed are written with the change, claimed once by a replica, recorded when sent."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from fake_clock import MONDAY_9AM
from sqlalchemy import select, text
from tracker_support import CRED_LEAD, CRED_OWNER, REPORTER, new_item

from icam_bot.outbox.models import OutboxMessage
from icam_bot.outbox.service import MAX_ATTEMPTS, OutboxService, Outcome, backoff, enqueue, enqueue_update
from icam_bot.programs.routing import load_programs
from icam_bot.tracker.errors import TrackerNotSavedError
from icam_bot.tracker.notes import note_from_payload
from icam_bot.tracker.service import TrackerService
from icam_bot.tracker.sweeper import Sweeper

NOW = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)


class Moving:
    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def rows(engine) -> list[OutboxMessage]:
    with engine.connect() as conn:
        return list(conn.execute(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def test_an_item_and_the_messages_it_owes_commit_together(engine, clock):
    tracker = TrackerService(engine, load_programs(), clock=clock)
    item = tracker.create(new_item(severity="high")).item
    owed = rows(engine)
    assert [(r.topic, r.recipient, r.status, r.item_id) for r in owed] == [
        ("tracker", REPORTER, "pending", item.id),
        ("tracker", CRED_OWNER, "pending", item.id),
        ("tracker", "C0EXAMPLECRD", "pending", item.id),
    ]
    note = note_from_payload(owed[0].recipient, owed[0].payload)
    assert (note.item.ref, note.item.created_at, note.kind.value) == (
        item.ref,
        item.created_at,
        "reporter_confirmation",
    )
    # a change the database refuses owes nothing either
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(
                text("CREATE TRIGGER refuse BEFORE INSERT ON tracker_comments BEGIN SELECT RAISE(ABORT, 'no'); END")
            )
        else:
            conn.execute(text("ALTER TABLE tracker_comments ADD CONSTRAINT refuse CHECK (body = 'never')"))
    with pytest.raises(TrackerNotSavedError):
        tracker.comment(item.ref, "a comment", actor=REPORTER)
    assert len(rows(engine)) == 3


def test_the_sweepers_escalations_owe_their_messages_in_the_same_transaction(engine, clock):
    tracker = TrackerService(engine, load_programs(), clock=clock)
    ref = tracker.create(new_item(severity="high")).item.ref
    Sweeper(engine, load_programs()).sweep_once(MONDAY_9AM + dt.timedelta(hours=4, minutes=1))
    escalations = [(r.recipient, r.payload["kind"]) for r in rows(engine)[3:]]
    assert (CRED_LEAD, "escalated") in escalations
    assert (CRED_OWNER, "sla_breached") in escalations
    assert all(r.payload["item"]["id"] == int(ref.split("-")[1]) for r in rows(engine))


def _owe(engine, count: int) -> None:
    with OutboxService(engine, "writer").sessions.begin() as session:
        for n in range(count):
            enqueue(session, "text", f"U{n:04d}", {"n": n})


def test_a_claimed_row_is_held_by_one_replica_until_its_lease_runs_out(engine):
    _owe(engine, 3)
    clock = Moving()
    a = OutboxService(engine, "replica-a", clock=clock, lease_s=60)
    b = OutboxService(engine, "replica-b", clock=clock, lease_s=60)
    claimed = a.claim()
    assert [r.attempts for r in claimed] == [1, 1, 1]
    assert b.claim() == []  # a holds them
    assert a.settle(claimed[0], Outcome(ts="1.0001"))
    clock.now += dt.timedelta(seconds=61)  # replica a died holding the other two
    taken = b.claim()
    assert [r.id for r in taken] == [r.id for r in claimed[1:]]
    assert [r.attempts for r in taken] == [2, 2]
    assert not a.settle(claimed[1], Outcome(ts="dead"))  # a came back too late: b owns the row now
    assert b.settle(taken[0], Outcome(ts="2.0002"))
    assert b.settle(taken[1], Outcome(ts="3.0003"))
    assert [(r.status, r.message_ts, r.claimed_by) for r in rows(engine)] == [
        ("sent", "1.0001", "replica-a"),
        ("sent", "2.0002", "replica-b"),
        ("sent", "3.0003", "replica-b"),
    ]
    assert a.claim() == b.claim() == []


def test_transient_failures_are_retried_with_backoff_then_given_up(engine):
    _owe(engine, 1)
    clock = Moving()
    outbox = OutboxService(engine, "replica-a", clock=clock)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        (row,) = outbox.claim()
        assert row.attempts == attempt
        assert outbox.settle(row, Outcome(error="request_failed", retry=True))
        assert outbox.claim() == []
        clock.now += backoff(attempt)
    assert [(r.status, r.error) for r in rows(engine)] == [("failed", "request_failed")]
    assert backoff(1) == dt.timedelta(seconds=5)
    assert backoff(30) == dt.timedelta(minutes=15)


def test_a_refusal_for_good_is_not_retried(engine):
    _owe(engine, 1)
    outbox = OutboxService(engine, "replica-a")
    (row,) = outbox.claim()
    assert outbox.settle(row, Outcome(error="user_not_found"))
    assert [(r.status, r.error) for r in rows(engine)] == [("failed", "user_not_found")]
    assert outbox.pending() == 0


@pytest.mark.postgres
def test_concurrent_replicas_claim_each_row_once(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (SKIP LOCKED)")
    _owe(engine, 400)
    claimed: dict[str, list[int]] = {}

    def drain(owner: str) -> None:
        outbox = OutboxService(engine, owner)
        mine = claimed.setdefault(owner, [])
        while batch := outbox.claim(limit=7):
            for row in batch:
                mine.append(row.id)
                outbox.settle(row, Outcome(ts=f"{row.id}.0"))

    threads = [threading.Thread(target=drain, args=(f"replica-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [row_id for ids in claimed.values() for row_id in ids]
    assert len(every) == len(set(every)) == 400
    assert sum(1 for ids in claimed.values() if ids) >= 2
    assert {r.status for r in rows(engine)} == {"sent"}


def test_a_replica_back_from_an_outage_takes_only_rows_nobody_held(engine):
    _owe(engine, 2)
    clock = Moving()
    a = OutboxService(engine, "replica-a", clock=clock, lease_s=60)
    held = a.claim(limit=1)
    clock.now += dt.timedelta(seconds=61)  # the lease ran out during the outage
    b = OutboxService(engine, "replica-b", clock=clock, lease_s=60)
    fresh = b.claim(take_over=False)
    assert [r.id for r in fresh] == [held[0].id + 1]  # the row nobody held
    assert a.settle(held[0], Outcome(ts="1.1"))  # the holder records what it sent first
    assert b.claim() == []


def test_delivered_messages_are_pruned_after_30_days_pending_ones_never(engine):
    from icam_bot.outbox.service import prune

    _owe(engine, 3)
    outbox = OutboxService(engine, "replica-a")
    first, second, _ = outbox.claim()
    outbox.settle(first, Outcome(ts="1.1"))
    outbox.settle(second, Outcome(error="user_not_found"))
    assert prune(engine) == 0
    assert prune(engine, dt.timedelta(seconds=-1)) == 2  # everything settled is "old" now
    assert [r.status for r in rows(engine)] == ["pending"]


def test_a_stored_notification_keeps_who_acted_and_what_they_wrote_apart(engine, clock):
    """Merged with the structured notifications: the outbox row keeps the actor and the person's text apart from
    the tracker's words, so the message sent later mentions the actor and shows the text escaped."""
    from handlers.tracker.blocks import notification_message
    from icam_bot.tracker.results import NotificationKind

    tracker = TrackerService(engine, load_programs(), clock=clock)
    ref = tracker.create(new_item()).item.ref
    tracker.comment(ref, "cc <!channel> and <@U0EXAMPLE99>", actor=CRED_OWNER)
    (row,) = [r for r in rows(engine) if r.payload["kind"] == NotificationKind.COMMENT_ADDED.value]
    note = note_from_payload(row.recipient, row.payload)
    assert (note.recipient, note.actor, note.text) == (REPORTER, CRED_OWNER, "cc <!channel> and <@U0EXAMPLE99>")
    sent = notification_message(note)["text"]
    assert f"by <@{CRED_OWNER}>" in sent
    assert "<!channel>" not in sent
    assert "<@U0EXAMPLE99>" not in sent


def test_edits_of_one_message_go_in_order_and_a_stale_retry_never_overwrites_a_later_edit(engine):
    outbox = OutboxService(engine, "a", clock=Moving())
    with outbox.sessions.begin() as session:
        enqueue_update(session, "C0TRIAGE", "111.1", {"text": "acknowledged"}, item_id=1)
        enqueue_update(session, "C0TRIAGE", "111.1", {"text": "resolved"}, item_id=1)
        enqueue_update(session, "C0OTHER", "222.2", {"text": "other message"})
    first, other = outbox.claim()  # the later edit of 111.1 waits while the earlier one is pending
    assert (first.payload["message"]["text"], first.target_ts, other.target_ts) == ("acknowledged", "111.1", "222.2")
    assert outbox.superseded(first)  # a later edit of 111.1 exists
    assert not outbox.superseded(other)
    assert outbox.settle(first, Outcome(ts=first.target_ts))  # the dispatcher skips it: nothing sent
    assert outbox.settle(other, Outcome(error="request_failed", retry=True))
    (later,) = outbox.claim()
    assert (later.payload["message"]["text"], outbox.superseded(later)) == ("resolved", False)
    with outbox.sessions.begin() as session:  # the same edit again (e.g. a retried request): harmless
        enqueue_update(session, "C0TRIAGE", "111.1", {"text": "resolved"}, item_id=1)
    assert outbox.claim() == []  # ... and it waits until the one in flight is settled
    assert outbox.settle(later, Outcome(ts="111.1"))
    (again,) = outbox.claim()
    assert again.payload["message"]["text"] == "resolved"
