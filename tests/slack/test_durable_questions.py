"""Durable questions: stored before the ack, answered from the store exactly once by whichever replica is alive."""

from __future__ import annotations

import asyncio
import datetime as dt

from fake_slack import FakeSlack
from slack_harness import Harness, serve_app
from slack_requests import direct_message
from sqlalchemy import select, update

from handlers.answers.questions import answer_job, stored_job
from handlers.runtime.worker import AnswerWorker
from icam_bot.db import make_engine
from icam_bot.inbox.models import PendingQuestion
from icam_bot.inbox.service import Question, QuestionInbox
from icam_bot.questions.store import Store

DM_CHANNEL = "D0000DM01"


def questions(h: Harness) -> list[PendingQuestion]:
    with h.store.sessions() as session:
        return list(session.scalars(select(PendingQuestion).order_by(PendingQuestion.id)))


async def settled(h: Harness, count: int) -> list[PendingQuestion]:
    for _ in range(200):
        rows = questions(h)
        if len(rows) >= count and all(r.status == "answered" for r in rows):
            return rows
        await asyncio.sleep(0.05)
    return questions(h)


async def test_a_dm_is_stored_with_its_event_before_the_ack_and_answered_once(responder, database_url):
    async with serve_app(responder, database_url) as h:
        h.fake.delays["chat.postMessage"] = 0.5  # the answer is still on its way when the ack returns
        assert await h.event(direct_message("what does PACS stand for?"), "EvSTORED0001") == 200
        (row,) = questions(h)
        assert (row.request_key, row.surface, row.user_id) == ("event:EvSTORED0001", "dm", "U0000STAFF")
        assert row.text == "what does PACS stand for?"
        assert await h.event(direct_message("what does PACS stand for?"), "EvSTORED0001", retry=1) == 200
        (row,) = await settled(h, 1)
        assert (row.status, row.claimed_by, row.attempts) == ("answered", h.services.replica_id, 1)
        await asyncio.sleep(0.3)
        answers = [c for c in h.fake.calls_to("chat.postMessage") if c.params["channel"] == DM_CHANNEL]
        assert len(answers) == 1


async def test_icam_ask_is_stored_before_the_ack_and_answered_from_the_store(responder, database_url):
    async with serve_app(responder, database_url) as h:
        status, _ = await h.command("ask how do I reset my PIV PIN?")
        assert status == 200
        (row,) = await settled(h, 1)
        assert row.surface == "command"
        assert row.request_key.startswith("command:U0000STAFF:")
        assert row.response_url == h.fake.response_url("cmd")
        await h.fake.wait_for("response_url")


def _abandon(database_url: str, *texts: str, answering: bool = False) -> None:
    """Questions a dead replica acked: stored and held by it, its lease about to run out."""
    engine = make_engine(database_url)
    inbox = QuestionInbox(engine, queue_lease_s=0.5, answer_lease_s=0.5)
    for n, text in enumerate(texts):
        stored = inbox.store(Question(f"event:EvDEAD{n:04d}", "U0000STAFF", DM_CHANNEL, "dm", text), "dead-replica")
        if answering:
            assert inbox.start_answering(stored.id, "dead-replica")
    engine.dispose()


async def test_questions_a_dead_replica_acked_are_answered_by_another_within_the_lease(responder, database_url):
    _abandon(database_url, "what does PACS stand for?", "how do I reset my PIV PIN?")

    async with serve_app(responder, database_url, lease_seconds=3) as h:
        rows = await settled(h, 2)
        assert [(r.status, r.claimed_by) for r in rows] == [("answered", h.services.replica_id)] * 2
        await asyncio.sleep(1.5)  # another look: nothing answered twice
        answers = [c for c in h.fake.calls_to("chat.postMessage") if c.params["channel"] == DM_CHANNEL]
        assert len(answers) == 2


async def test_a_question_whose_worker_died_while_answering_is_answered_again(responder, database_url):
    _abandon(database_url, "what does PACS stand for?", answering=True)

    async with serve_app(responder, database_url, lease_seconds=3) as h:
        (row,) = await settled(h, 1)
        assert (row.status, row.attempts) == ("answered", 2)
        await h.fake.wait_for("chat.postMessage")


def test_a_question_is_answered_by_one_worker_only(database_url):
    engine = make_engine(database_url)
    clock = [dt.datetime(2030, 1, 1, tzinfo=dt.UTC)]
    inbox = QuestionInbox(engine, clock=lambda: clock[0], queue_lease_s=30, answer_lease_s=60)
    stored = inbox.store(Question("command:U1:t1", "U1", "C1", "command", "hi"), "replica-a")
    assert stored.new
    again = inbox.store(Question("command:U1:t1", "U1", "C1", "command", "hi"), "replica-a")
    assert (again.id, again.new) == (stored.id, False)
    assert not inbox.start_answering(stored.id, "replica-b")  # a holds it while it waits in a's queue
    assert inbox.start_answering(stored.id, "replica-a")
    assert not inbox.start_answering(stored.id, "replica-a")  # a second job for it in a's queue
    assert inbox.take_over("replica-b") == []
    clock[0] += dt.timedelta(seconds=61)  # a died while answering
    (taken,) = inbox.take_over("replica-b")
    assert taken.id == stored.id
    assert taken.epoch == stored.epoch + 1
    assert not inbox.claim_send(stored.id, "replica-a")  # too late: b has it, a must not send its reply
    assert not inbox.answered(stored.id, "replica-a")
    assert not inbox.start_answering(stored.id, "replica-b")  # an old epoch's job
    assert inbox.start_answering(stored.id, "replica-b", epoch=taken.epoch)
    assert inbox.claim_send(stored.id, "replica-b", epoch=taken.epoch)
    assert inbox.answered(stored.id, "replica-b", epoch=taken.epoch)
    assert inbox.status(stored.id) == "answered"
    assert inbox.take_over("replica-c") == []
    engine.dispose()


async def test_a_worker_that_lost_its_question_while_answering_does_not_send_its_reply(responder, database_url):
    """Replica a's worker is so slow that the lease runs out and replica b takes the question over: a's reply is
    fenced off (its send claim refused), b's is sent; one answer."""
    fake = await FakeSlack().start()
    store = Store.from_url(database_url)
    try:
        inbox = QuestionInbox(store.engine, queue_lease_s=30, answer_lease_s=60)
        question = Question("event:EvSLOW1", "U0000STAFF", DM_CHANNEL, "dm", "what does PACS stand for?")
        stored = inbox.store(question, "replica-a", event_id="EvSLOW1")
        assert stored is not None
        worker = AnswerWorker(responder, store, "xoxb-test", fake.api_url)
        answer = worker.answers.answer
        taken = []

        def slow_answer(*args, **kwargs):  # while a answers, its lease runs out and b takes the question over
            answered = answer(*args, **kwargs)
            with store.engine.begin() as conn:
                conn.execute(update(PendingQuestion).values(lease_until=dt.datetime.now(dt.UTC)))
            taken.extend(inbox.take_over("replica-b"))
            return answered

        worker.answers.answer = slow_answer
        outcome = await asyncio.to_thread(worker, answer_job(question, stored.id, "replica-a", 30.0))
        assert (outcome.decision, outcome.delivered) == ("skipped", False)
        assert fake.calls_to("chat.postMessage") == []

        worker.answers.answer = answer
        (mine,) = taken
        outcome = await asyncio.to_thread(worker, stored_job(mine, "replica-b"))
        assert outcome.delivered
        assert len(fake.calls_to("chat.postMessage")) == 1
        assert inbox.status(stored.id) == "answered"
    finally:
        store.close()
        await fake.stop()


async def test_a_reply_its_dead_holder_posted_before_marking_it_is_found_and_not_sent_again(responder, database_url):
    fake = await FakeSlack().start()
    store = Store.from_url(database_url)
    try:
        inbox = QuestionInbox(store.engine, queue_lease_s=30, answer_lease_s=60)
        question = Question("event:EvPOSTED1", "U0000STAFF", DM_CHANNEL, "dm", "what does PACS stand for?")
        stored = inbox.store(question, "replica-a", event_id="EvPOSTED1")
        assert stored is not None
        dying = AnswerWorker(responder, store, "xoxb-test", fake.api_url)
        dying.inbox.answered = lambda *_args, **_kwargs: False  # killed between Slack's ok and the mark
        assert (await asyncio.to_thread(dying, answer_job(question, stored.id, "replica-a", 30.0))).delivered
        (posted,) = fake.calls_to("chat.postMessage")
        assert posted.params["metadata"] == {"event_type": "icam_answer", "event_payload": {"question": stored.id}}

        with store.engine.begin() as conn:
            conn.execute(update(PendingQuestion).values(lease_until=dt.datetime.now(dt.UTC)))
        (taken,) = inbox.take_over("replica-b")
        assert taken.send_started_at is not None
        worker = AnswerWorker(responder, store, "xoxb-test", fake.api_url)
        assert (await asyncio.to_thread(worker, stored_job(taken, "replica-b"))).delivered
        assert len(fake.calls_to("chat.postMessage")) == 1  # found by its metadata, not posted again
        assert [c.params["channel"] for c in fake.calls_to("conversations.history")] == [DM_CHANNEL]
        assert inbox.status(stored.id) == "answered"
    finally:
        store.close()
        await fake.stop()
