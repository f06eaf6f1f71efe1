"""Fenced sends: two replicas on one database, a clock the test moves. A replica too slow to finish within its
lease loses the row or question to the other and must not send it; a replica that renews its leases keeps them."""

from __future__ import annotations

import datetime as dt

import pytest
from fake_clock import Clock

from icam_bot.inbox.service import Question, QuestionInbox
from icam_bot.outbox.service import OutboxService, Outcome, enqueue

LEASE_S = 10.0


@pytest.fixture
def clock() -> Clock:
    """From a moment after now: rows written with the real time are due."""
    return Clock(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))


def _owe_one(engine) -> None:
    with OutboxService(engine, "writer").sessions.begin() as session:
        enqueue(session, "text", "U0000STAFF", {"n": 1})


def test_an_outbox_row_taken_over_from_a_slow_replica_is_sent_by_the_new_holder_only(engine, clock: Clock):
    _owe_one(engine)
    a = OutboxService(engine, "replica-a", lease_s=LEASE_S, clock=clock)
    b = OutboxService(engine, "replica-b", lease_s=LEASE_S, clock=clock)
    (held_by_a,) = a.claim()
    clock.advance(seconds=LEASE_S + 1)  # a is stuck (no heartbeat): its lease runs out
    (held_by_b,) = b.claim()
    assert held_by_b.epoch == held_by_a.epoch + 1
    assert not a.start_send(held_by_a)  # a wakes up: the send is fenced off
    assert b.start_send(held_by_b)
    assert b.settle(held_by_b, Outcome(ts="1.000001"))
    assert not a.settle(held_by_a, Outcome(ts="1.000002"))
    assert b.claim() == []
    assert a.claim() == []


def test_a_replica_renewing_its_lease_keeps_its_row_however_slow(engine, clock: Clock):
    _owe_one(engine)
    a = OutboxService(engine, "replica-a", lease_s=LEASE_S, clock=clock)
    b = OutboxService(engine, "replica-b", lease_s=LEASE_S, clock=clock)
    (row,) = a.claim()
    for _ in range(5):  # 35 s of slow work, a heartbeat every 7 s
        clock.advance(seconds=7)
        assert a.renew({row.id}) == 1
        assert b.claim() == []
    assert a.start_send(row)
    assert a.settle(row, Outcome(ts="1.000001"))
    assert b.renew({row.id}) == 0  # renewing only what one holds


def test_the_same_replica_taking_its_row_back_fences_off_its_own_older_claim(engine, clock: Clock):
    _owe_one(engine)
    a = OutboxService(engine, "replica-a", lease_s=LEASE_S, clock=clock)
    (first,) = a.claim()
    clock.advance(seconds=LEASE_S + 1)
    (second,) = a.claim()  # same owner, new epoch
    assert not a.start_send(first)
    assert a.start_send(second)


def test_a_send_interrupted_before_its_record_is_marked_for_the_next_holder(engine, clock: Clock):
    _owe_one(engine)
    a = OutboxService(engine, "replica-a", lease_s=LEASE_S, clock=clock)
    b = OutboxService(engine, "replica-b", lease_s=LEASE_S, clock=clock)
    (row,) = a.claim()
    assert row.unsettled_attempt_at is None
    started = clock.now
    assert a.start_send(row)  # ... Slack accepts the message, then a dies
    clock.advance(seconds=LEASE_S + 1)
    (again,) = b.claim()
    assert again.unsettled_attempt_at == started
    assert b.start_send(again)
    assert b.settle(again, Outcome(error="request_failed", retry=True))  # still unknown: kept for the next one
    clock.advance(minutes=10)
    (third,) = b.claim()
    assert third.unsettled_attempt_at == started
    assert b.start_send(third)
    assert b.settle(third, Outcome(ts="1.000001"))


def test_a_question_taken_over_from_a_slow_worker_is_answered_by_the_new_holder_only(engine, clock: Clock):
    a = QuestionInbox(engine, clock=clock, queue_lease_s=LEASE_S, answer_lease_s=2 * LEASE_S)
    b = QuestionInbox(engine, clock=clock, queue_lease_s=LEASE_S, answer_lease_s=2 * LEASE_S)
    stored = a.store(Question("event:Ev1", "U1", "D1", "dm", "how do I reset my PIN?"), "replica-a", event_id="Ev1")
    assert stored is not None
    assert a.start_answering(stored.id, "replica-a", epoch=stored.epoch)
    clock.advance(seconds=2 * LEASE_S + 1)  # a's worker is too slow and a's heartbeat did not run
    (taken,) = b.take_over("replica-b")
    assert not a.claim_send(stored.id, "replica-a", epoch=stored.epoch)  # a's reply is never sent
    assert b.start_answering(taken.id, "replica-b", epoch=taken.epoch)
    assert b.claim_send(taken.id, "replica-b", epoch=taken.epoch)
    assert not a.answered(stored.id, "replica-a", epoch=stored.epoch)
    assert b.answered(taken.id, "replica-b", epoch=taken.epoch)
    assert b.status(stored.id) == "answered"


def test_a_question_whose_holder_renews_its_lease_is_not_taken_over(engine, clock: Clock):
    a = QuestionInbox(engine, clock=clock, queue_lease_s=LEASE_S, answer_lease_s=2 * LEASE_S)
    b = QuestionInbox(engine, clock=clock, queue_lease_s=LEASE_S, answer_lease_s=2 * LEASE_S)
    stored = a.store(Question("command:U1:k", "U1", "C1", "command", "what is PACS?"), "replica-a")
    assert stored is not None
    assert a.start_answering(stored.id, "replica-a", epoch=stored.epoch)
    for _ in range(10):  # 60 s of a slow answer, the replica's heartbeat every 6 s
        clock.advance(seconds=6)
        a.renew({stored.id}, "replica-a")
        assert b.take_over("replica-b") == []
    assert a.claim_send(stored.id, "replica-a", epoch=stored.epoch)
    clock.advance(seconds=15)  # a slow Slack call: still renewed while sending
    assert a.renew({stored.id}, "replica-a") == 1
    clock.advance(seconds=6)
    assert b.take_over("replica-b") == []
    assert a.answered(stored.id, "replica-a", epoch=stored.epoch)
    clock.advance(seconds=dt.timedelta(hours=1).total_seconds())
    assert b.take_over("replica-b") == []
