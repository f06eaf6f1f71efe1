"""Group commit of the questions stored before their ack.

Every question is committed before its ack (the rule: what the bot acknowledges survives a crash and a database
outage). One commit per request bounds a replica by the database's commits (and, on SQLite, by the writers
waiting for its one lock); here concurrent requests hand their questions to one writer thread, which stores all
that are waiting in one transaction (``QuestionInbox.store_many``) and then releases every waiting request with
its own result. While one batch commits, the next one gathers: a lone request waits for one commit, as before.

A batch whose transaction fails fails every request in it with that error (nothing of it was stored), and each
is answered as a storage failure is (written to the spool before its ack, or told to ask again).

Requests on an event loop wait with ``submit_async``: the writer hands a batch's results to each loop in one
call (one wake-up of the loop per batch, not one per request).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future

from icam_bot.inbox.service import Intake, Question, QuestionInbox, Stored

logger = logging.getLogger(__name__)

#: The most questions one transaction stores (a longer queue is written in several).
MAX_BATCH = 200


class QuestionIntake:
    """Stores questions through ``inbox`` in group commits, from one writer thread (started on first use)."""

    def __init__(self, inbox: QuestionInbox, *, max_batch: int = MAX_BATCH) -> None:
        self.inbox = inbox
        self.max_batch = max_batch
        self._waiting: list[tuple[Intake, Waiter]] = []
        self._ready = threading.Condition()
        self._writer: threading.Thread | None = None
        self._stopping = False
        #: Transactions committed and questions they stored (for tests and the benchmark's report).
        self.commits = 0
        self.stored = 0

    def submit(self, question: Question, owner: str, *, event_id: str | None = None) -> Future[Stored | None]:
        """Queue ``question`` for the next group commit; the future gives what ``QuestionInbox.store`` would (or
        raises its error) once the transaction holding it committed (or failed)."""
        future: Future[Stored | None] = Future()
        self._enqueue(Intake(question, owner, event_id), future)
        return future

    def submit_async(
        self, question: Question, owner: str, *, event_id: str | None = None
    ) -> asyncio.Future[Stored | None]:
        """``submit`` for a caller on the running event loop: await the result (the loop is woken once per batch).
        A cancelled future is left out of the batch if its batch has not started."""
        future: asyncio.Future[Stored | None] = asyncio.get_running_loop().create_future()
        self._enqueue(Intake(question, owner, event_id), future)
        return future

    def _enqueue(self, intake: Intake, waiter: Waiter) -> None:
        with self._ready:
            self._waiting.append((intake, waiter))
            if self._writer is None:  # none yet, or it stopped (it clears this under the lock)
                self._start_writer()
            self._ready.notify()

    def store(self, question: Question, owner: str, *, event_id: str | None = None) -> Stored | None:
        """``submit`` and wait for the commit (blocking)."""
        return self.submit(question, owner, event_id=event_id).result()

    def close(self, timeout: float | None = 10.0) -> None:
        """Write what is waiting, then stop the writer (a later ``submit`` starts a new one)."""
        with self._ready:
            self._stopping = True
            self._ready.notify()
            writer = self._writer
        if writer is not None:
            writer.join(timeout)

    def _start_writer(self) -> None:
        """A new writer thread (called holding ``_ready``)."""
        self._stopping = False
        self._writer = threading.Thread(target=self._run, name="icam-question-intake", daemon=True)
        self._writer.start()

    def _run(self) -> None:
        try:
            while True:
                with self._ready:
                    while not self._waiting and not self._stopping:
                        self._ready.wait()
                    if not self._waiting:
                        self._writer = None
                        return
                    batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
                self._commit([(intake, waiter) for intake, waiter in batch if _start(waiter)])
        finally:
            with self._ready:
                if self._writer is threading.current_thread():  # an unexpected error: the questions go on
                    logger.error("the question intake's writer stopped unexpectedly; starting another")
                    self._writer = None
                    if self._waiting:
                        self._start_writer()

    def _commit(self, batch: list[tuple[Intake, Waiter]]) -> None:
        """One transaction for ``batch``; every waiter gets its result, or the transaction's error."""
        if not batch:
            return
        waiters = [waiter for _intake, waiter in batch]
        try:
            results = self.inbox.store_many([intake for intake, _waiter in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"{len(results)} results for {len(batch)} questions")
        except Exception as error:  # handed to every waiter, who handles it as a storage failure
            _settle(waiters, [error] * len(waiters))
            return
        self.commits += 1
        self.stored += len(batch)
        _settle(waiters, results)


#: What a request waits on: a thread's future, or an event loop's.
Waiter = Future[Stored | None] | asyncio.Future[Stored | None]
#: What a waiter is given: the stored question (None for an event handled before), or the commit's error.
Result = Stored | None | BaseException


def _start(waiter: Waiter) -> bool:
    """Whether the waiter still wants its question stored (not cancelled); a thread's future is marked running."""
    if isinstance(waiter, Future):
        return waiter.set_running_or_notify_cancel()
    return not waiter.cancelled()  # settled on its loop only; a cancel after this finds the question stored


def _settle(waiters: Sequence[Waiter], results: Sequence[Result]) -> None:
    """Each waiter's result (or error): threads' futures at once, each event loop's in one call on that loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Stored | None], Result]]] = {}
    for waiter, result in zip(waiters, results, strict=True):
        if isinstance(waiter, Future):
            _resolve(waiter, result)
        else:
            by_loop.setdefault(waiter.get_loop(), []).append((waiter, result))
    for loop, pairs in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_on_loop, pairs)
        except RuntimeError:  # the loop closed: nobody is waiting any more
            logger.debug("an event loop closed before its questions' results arrived")


def _settle_on_loop(pairs: list[tuple[asyncio.Future[Stored | None], Result]]) -> None:
    for future, result in pairs:
        if not future.done():  # done: cancelled meanwhile (the request went away)
            _resolve(future, result)


def _resolve(future: Waiter, result: Result) -> None:
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
