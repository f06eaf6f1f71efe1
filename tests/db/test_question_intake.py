"""Group commit of the questions stored before their ack (icam_bot/inbox/intake.py), on SQLite and PostgreSQL:
concurrent questions share a transaction, each waiter gets its own result, and a failed commit fails every
waiter of its batch with nothing of it stored."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError

from icam_bot.db.models import ProcessedEvent
from icam_bot.inbox.intake import QuestionIntake
from icam_bot.inbox.models import PendingQuestion
from icam_bot.inbox.service import Intake, Question, QuestionInbox, Stored


def question(n: int | str, text: str = "how do I reset my PIV PIN?") -> Question:
    return Question(f"command:U1:{n}", "U1", "C1", "command", text, f"https://hooks.example/{n}")


def stored_keys(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(select(PendingQuestion.request_key).order_by(PendingQuestion.id)))


class GatedInbox(QuestionInbox):
    """An inbox whose first batch waits at ``gate`` (so that the next requests gather behind it) and whose
    batches can be made to fail inside their transaction, after some rows were written."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.batches: list[int] = []
        #: The batch (1 = the first) whose transaction fails.
        self.fail_batch: int | None = None

    def store_many(self, intakes: Sequence[Intake]) -> list[Stored | None]:
        self.entered.set()
        self.gate.wait(10)
        self.batches.append(len(intakes))
        return super().store_many(intakes)

    def _store_batch(self, session, intakes, now):  # type: ignore[no-untyped-def]
        results = super()._store_batch(session, intakes, now)
        if len(self.batches) == self.fail_batch:  # its rows are written; the transaction fails before its commit
            raise OperationalError("COMMIT", {}, ConnectionResetError("server closed the connection"))
        return results


@pytest.fixture
def gated(engine: Engine) -> Iterator[tuple[GatedInbox, QuestionIntake]]:
    inbox = GatedInbox(engine)
    intake = QuestionIntake(inbox)
    yield inbox, intake
    inbox.gate.set()
    intake.close()


def test_many_concurrent_questions_are_all_stored_each_with_its_own_row(engine: Engine):
    intake = QuestionIntake(QuestionInbox(engine))
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda n: intake.store(question(n), "replica-1"), range(300)))
    intake.close()
    assert all(r is not None and r.new for r in results)
    assert len({r.id for r in results if r is not None}) == 300
    assert [r.question.request_key for r in results if r is not None] == [f"command:U1:{n}" for n in range(300)]
    assert sorted(stored_keys(engine)) == sorted(f"command:U1:{n}" for n in range(300))
    assert intake.stored == 300
    assert intake.commits <= 300


def test_questions_waiting_for_a_commit_share_the_next_one(gated):
    inbox, intake = gated
    first = intake.submit(question(0), "replica-1")
    assert inbox.entered.wait(5)  # the writer holds the first batch: the next 50 gather meanwhile
    waiting = [intake.submit(question(n), "replica-1") for n in range(1, 51)]
    assert not any(f.done() for f in [first, *waiting])  # nobody is released before its commit
    inbox.gate.set()
    results = [f.result(10) for f in [first, *waiting]]
    assert inbox.batches == [1, 50]
    assert intake.commits == 2
    assert [r.id for r in results if r is not None] == sorted(r.id for r in results if r is not None)
    assert len(stored_keys(inbox.engine)) == 51


def test_a_redelivery_in_the_same_batch_finds_the_question_stored_by_the_first_delivery(gated):
    inbox, intake = gated
    intake.submit(question("warm"), "replica-1")
    assert inbox.entered.wait(5)
    first = intake.submit(question("same"), "replica-1")
    again = intake.submit(question("same"), "replica-1")
    event = intake.submit(question("event:Ev1"), "replica-1", event_id="Ev1")
    event_again = intake.submit(question("event:Ev1"), "replica-1", event_id="Ev1")
    other = intake.submit(question("other"), "replica-1")
    inbox.gate.set()
    stored, redelivered = first.result(10), again.result(10)
    assert stored is not None
    assert stored.new
    assert redelivered is not None
    assert not redelivered.new
    assert redelivered.id == stored.id
    assert event.result(10) is not None
    assert event_again.result(10) is None
    assert other.result(10) is not None
    assert other.result(10).new
    assert inbox.batches == [1, 5]
    with inbox.sessions() as session:
        assert session.scalars(select(ProcessedEvent.event_id)).all() == ["Ev1"]
    assert len(stored_keys(inbox.engine)) == 4


def test_a_failed_commit_fails_every_waiter_of_its_batch_and_stores_none_of_it(gated):
    inbox, intake = gated
    first = intake.submit(question(0), "replica-1")
    assert inbox.entered.wait(5)
    inbox.fail_batch = 2  # the second batch fails after writing its rows, before its commit
    batch: list[Future[Stored | None]] = [intake.submit(question(n), "replica-1") for n in range(1, 11)]
    inbox.gate.set()
    assert first.result(10) is not None
    for future in batch:
        with pytest.raises(OperationalError):
            future.result(10)
    assert stored_keys(inbox.engine) == ["command:U1:0"]  # the failed batch left nothing behind
    assert intake.commits == 1

    inbox.fail_batch = None  # the database is back: the writer goes on with the next batch
    later = intake.store(question(11), "replica-1")
    assert later is not None
    assert later.new
    assert stored_keys(inbox.engine) == ["command:U1:0", "command:U1:11"]


def test_closing_writes_what_waits_and_a_later_question_starts_a_new_writer(gated):
    inbox, intake = gated
    futures = [intake.submit(question(n), "replica-1") for n in range(5)]
    inbox.gate.set()
    intake.close()
    assert all(f.done() and f.result() is not None for f in futures)
    assert intake.store(question(5), "replica-1") is not None
    assert len(stored_keys(inbox.engine)) == 6


class RacedInbox(QuestionInbox):
    """Another replica stores ``raced`` between this batch's read and its insert."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.raced: Question | None = None

    def _already_stored(self, session, intakes):  # type: ignore[no-untyped-def, override]
        found, handled = super()._already_stored(session, intakes)
        if self.raced is not None:
            QuestionInbox(self.sessions).store(self.raced, "replica-2", event_id="EvRaced")
            self.raced = None
        return found, handled


def test_a_question_another_replica_stored_meanwhile_is_found_and_the_rest_of_the_batch_stored(engine: Engine):
    inbox = RacedInbox(engine)
    inbox.raced = question("event:EvRaced")
    results = inbox.store_many(
        [
            Intake(question(1), "replica-1"),
            Intake(question("event:EvRaced"), "replica-1", "EvRaced"),
            Intake(question(2), "replica-1"),
        ]
    )
    assert results[1] is None  # its event was handled by the other replica
    assert results[0] is not None
    assert results[0].new
    assert results[2] is not None
    assert results[2].new
    assert sorted(stored_keys(engine)) == ["command:U1:1", "command:U1:2", "command:U1:event:EvRaced"]


# -- requests on an event loop (submit_async, as the server's handlers wait) --------------------------------


async def test_questions_awaited_on_the_event_loop_are_committed_together_each_with_its_own_result(engine: Engine):
    intake = QuestionIntake(QuestionInbox(engine))
    results = await asyncio.gather(*(intake.submit_async(question(n), "replica-1") for n in range(200)))
    await asyncio.to_thread(intake.close)
    assert [r.question.request_key for r in results if r is not None and r.new] == [
        f"command:U1:{n}" for n in range(200)
    ]
    assert len({r.id for r in results if r is not None}) == 200
    assert intake.commits < 200  # the requests waiting meanwhile shared commits
    assert sorted(stored_keys(engine)) == sorted(f"command:U1:{n}" for n in range(200))


async def test_a_failed_commit_fails_every_request_awaiting_it_on_the_loop(gated):
    inbox, intake = gated
    first = intake.submit_async(question(0), "replica-1")
    assert await asyncio.to_thread(inbox.entered.wait, 5)
    inbox.fail_batch = 2
    batch = [intake.submit_async(question(n), "replica-1") for n in range(1, 6)]
    inbox.gate.set()
    assert (await first) is not None
    outcomes = await asyncio.gather(*batch, return_exceptions=True)
    assert all(isinstance(o, OperationalError) for o in outcomes)
    assert stored_keys(inbox.engine) == ["command:U1:0"]


async def test_a_request_cancelled_before_its_batch_starts_is_not_stored(gated):
    inbox, intake = gated
    first = intake.submit_async(question(0), "replica-1")
    assert await asyncio.to_thread(inbox.entered.wait, 5)
    gone = intake.submit_async(question("gone"), "replica-1")
    kept = intake.submit_async(question("kept"), "replica-1")
    gone.cancel()
    inbox.gate.set()
    assert (await first) is not None
    assert (await kept) is not None
    assert inbox.batches == [1, 1]
    assert stored_keys(inbox.engine) == ["command:U1:0", "command:U1:kept"]
