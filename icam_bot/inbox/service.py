"""Storing questions before their ack and answering each exactly once, whichever replica is alive.

A question is written ``pending`` and held by the replica that acked it (``claimed_by``) for QUEUE_LEASE_S
while it waits in that replica's answer queue. The worker that answers it first moves it to ``answering``
(a conditional update: only one worker can), holds it for ANSWER_LEASE_S, replies, then marks it
``answered``. Every replica looks for questions whose lease ran out (their replica died) and takes them over,
so a dead replica's questions are answered within a lease plus one look.

Fencing: every change of holder bumps ``lease_epoch``; the worker claims the reply's send (``claim_send``:
``answering`` -> ``sending``, only for the holder of the epoch it was given) just before calling Slack, and the
replica renews the leases of the questions it has in hand (``renew``, its heartbeat), so a slow replica keeps
its questions and one that lost a question never sends its reply. The one way to answer twice: the holder dies
between Slack accepting the reply and ``answered`` being recorded; the send's start is recorded
(``send_started_at``) so that the next holder looks for that reply first (handlers/runtime/answer_lookup.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from icam_bot.db.base import utcnow
from icam_bot.db.models import ProcessedEvent
from icam_bot.db.session import make_session_factory, upsert_insert
from icam_bot.db.types import UtcDateTime
from icam_bot.inbox.models import REQUEST_KEY_LEN, URL_LEN, PendingQuestion, QuestionStatus
from icam_bot.textclean import clean_text

logger = logging.getLogger(__name__)

#: How long the replica that acked a question keeps it to itself while it waits in that replica's queue.
QUEUE_LEASE_S = 30.0
#: How long a worker holds a question it is answering (matching and replying take well under this).
ANSWER_LEASE_S = 60.0
#: A question whose reply keeps failing is given up after this many attempts (logged).
MAX_ATTEMPTS = 5
MAX_TEXT = 4000
#: The epoch of a question just stored (each take-over bumps it).
FIRST_EPOCH = 1
#: The tables the group commit writes through a plain connection (``QuestionInbox.store_many``).
QUESTIONS: Table = PendingQuestion.__table__  # type: ignore[assignment]
EVENTS: Table = ProcessedEvent.__table__  # type: ignore[assignment]
#: The states a holder keeps a question in (its lease renewed by the heartbeat, taken over when it ran out).
HELD = (QuestionStatus.PENDING.value, QuestionStatus.ANSWERING.value, QuestionStatus.SENDING.value)


@dataclass(frozen=True)
class Question:
    """A question to answer and where its reply goes."""

    request_key: str
    user_id: str
    channel_id: str | None
    surface: str
    text: str
    response_url: str | None = None
    thread_ts: str | None = None


@dataclass(frozen=True)
class Intake:
    """A question to store before its ack: held by ``owner``; ``event_id`` is recorded as handled with it."""

    question: Question
    owner: str
    event_id: str | None = None


@dataclass(frozen=True)
class Stored:
    """A stored question: its row id, and whether this request stored it (False: a redelivery found it)."""

    id: int
    new: bool
    question: Question
    #: When the question was first stored (its receipt), for questions read back from the table.
    asked_at: dt.datetime | None = None
    #: The holder's lease epoch: answering and sending are fenced on it.
    epoch: int = FIRST_EPOCH
    #: When an earlier holder claimed the reply's send (it may have reached Slack): looked for before sending.
    send_started_at: dt.datetime | None = None


class QuestionInbox:
    """The ``pending_questions`` table; ``owner`` is the replica (or worker) acting."""

    def __init__(
        self,
        sessions: sessionmaker[Session] | Engine,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        queue_lease_s: float = QUEUE_LEASE_S,
        answer_lease_s: float = ANSWER_LEASE_S,
    ) -> None:
        self.sessions = make_session_factory(sessions) if isinstance(sessions, Engine) else sessions
        #: The group commit runs on a plain connection: an ORM session's own work doubled the cost of a batch.
        self.engine: Engine = sessions if isinstance(sessions, Engine) else self.sessions.kw["bind"]
        self.clock = clock
        self.queue_lease = dt.timedelta(seconds=queue_lease_s)
        self.answer_lease = dt.timedelta(seconds=answer_lease_s)

    # -- before the ack ------------------------------------------------------------------------------

    def store(self, question: Question, owner: str, *, event_id: str | None = None) -> Stored | None:
        """Store ``question`` held by ``owner``; with ``event_id`` the event is recorded as handled in the same
        transaction. None when the event was handled before (a retry or duplicate delivery: do nothing)."""
        return self.store_many([Intake(question, owner, event_id)])[0]

    def store_many(self, intakes: Sequence[Intake]) -> list[Stored | None]:
        """Store every question of ``intakes`` in one transaction (a group commit: one commit for many acks);
        the results are in the same order, each as ``store`` gives it. A database error stores none of them.

        The batch reads which of its questions and events are stored already, then inserts the rest with one
        statement per table. When another replica stored one of them in the meantime (a unique key conflict),
        the batch is stored again row by row, each row finding what is there (ON CONFLICT DO NOTHING)."""
        if not intakes:
            return []
        now = self.clock()
        try:
            with self.engine.begin() as connection:
                return self._store_batch(connection, intakes, now)
        except IntegrityError:
            logger.info("a question of the batch was stored meanwhile; storing the batch row by row")
        with self.sessions.begin() as session:
            return [self._store_one(session, intake, now) for intake in intakes]

    def _store_batch(self, connection: Connection, intakes: Sequence[Intake], now: dt.datetime) -> list[Stored | None]:
        """The batch in one read per table and one insert per table; a redelivery (of an earlier request, or
        of one earlier in the batch) finds the stored question, a handled event gives None."""
        found, handled = self._already_stored(connection, intakes)
        new_events: list[dict[str, Any]] = []
        new_rows: list[dict[str, Any]] = []
        position: dict[str, int] = {}  # a new question's key -> its place in new_rows
        plan: list[tuple[Intake, int | None, int | None]] = []  # (intake, stored id, place in new_rows)
        for intake in intakes:
            key = intake.question.request_key[:REQUEST_KEY_LEN]
            if intake.event_id is not None:
                if intake.event_id in handled:
                    plan.append((intake, None, None))  # the event was handled before
                    continue
                handled.add(intake.event_id)
                new_events.append({"event_id": intake.event_id, "received_at": now})
                if key in found or key in position:
                    plan.append((intake, None, None))  # a question stored under this event's key
                    continue
            if key not in found and key not in position:
                position[key] = len(new_rows)
                new_rows.append(_values(intake.question, intake.owner, now + self.queue_lease, now))
            plan.append((intake, found.get(key), position.get(key)))
        if new_events:
            connection.execute(insert(EVENTS), new_events)
        ids: list[int] = []
        if new_rows:
            returning = insert(QUESTIONS).returning(QUESTIONS.c.id, sort_by_parameter_order=True)
            ids = list(connection.scalars(returning, new_rows))
        first = dict.fromkeys(range(len(ids)), True)  # the first request for a new row stored it
        results: list[Stored | None] = []
        for intake, stored_id, place in plan:
            if stored_id is not None:
                results.append(Stored(stored_id, False, intake.question))
            elif place is not None:
                results.append(Stored(ids[place], first.pop(place, False), intake.question))
            else:
                results.append(None)
        return results

    @staticmethod
    def _already_stored(connection: Connection, intakes: Sequence[Intake]) -> tuple[dict[str, int], set[str]]:
        """The ids of the batch's questions stored already (by request key), and its events handled already."""
        keys = {intake.question.request_key[:REQUEST_KEY_LEN] for intake in intakes}
        events = {intake.event_id for intake in intakes if intake.event_id is not None}
        stored = select(QUESTIONS.c.request_key, QUESTIONS.c.id).where(QUESTIONS.c.request_key.in_(keys))
        found: dict[str, int] = {row.request_key: row.id for row in connection.execute(stored)}
        if not events:
            return found, set()
        handled = select(EVENTS.c.event_id).where(EVENTS.c.event_id.in_(events))
        return found, set(connection.scalars(handled))

    def _store_one(self, session: Session, intake: Intake, now: dt.datetime) -> Stored | None:
        bind = session.get_bind()
        if intake.event_id is not None:
            recorded = session.execute(
                upsert_insert(bind, ProcessedEvent)
                .values(event_id=intake.event_id, received_at=now)
                .on_conflict_do_nothing()
                .returning(ProcessedEvent.event_id)
            ).first()
            if recorded is None:
                return None  # the event was handled before
        key = intake.question.request_key[:REQUEST_KEY_LEN]
        row = _values(intake.question, intake.owner, now + self.queue_lease, now)
        inserted = session.execute(
            upsert_insert(bind, PendingQuestion).values(**row).on_conflict_do_nothing().returning(PendingQuestion.id)
        ).scalar()
        if inserted is not None:
            return Stored(inserted, True, intake.question)
        if intake.event_id is not None:
            return None  # a question stored under this event's key: the event was handled before
        found = session.scalar(select(PendingQuestion.id).where(PendingQuestion.request_key == key))
        return Stored(found, False, intake.question) if found is not None else None

    def restore(self, question: Question, *, event_id: str | None, owner: str) -> Stored | None:
        """A question acked while the database was down, replayed from a replica's spool: stored pending and held
        by ``owner`` (which answers it, or another replica once the lease runs out), its event recorded as
        handled. Exactly once: None when it was stored before (e.g. a retry of its event that another replica
        stored after the database came back)."""
        now = self.clock()
        key = question.request_key[:REQUEST_KEY_LEN]
        try:
            with self.sessions.begin() as session:
                if session.scalar(select(PendingQuestion.id).where(PendingQuestion.request_key == key)) is not None:
                    return None
                if event_id is not None:
                    session.execute(
                        upsert_insert(session.get_bind(), ProcessedEvent)
                        .values(event_id=event_id, received_at=now)
                        .on_conflict_do_nothing()
                    )
                row = _row(question, owner, now + self.queue_lease, now)
                session.add(row)
                session.flush()
                return Stored(row.id, True, question, now)
        except IntegrityError:
            return None

    # -- answering --------------------------------------------------------------------------------------

    def _move(self, question_id: int, owner: str, epoch: int, current: str, **values: object) -> bool:
        """``current`` status -> what ``values`` say, only for ``owner`` holding the question at ``epoch``."""
        with self.sessions.begin() as session:
            moved = session.execute(
                update(PendingQuestion)
                .where(
                    PendingQuestion.id == question_id,
                    PendingQuestion.claimed_by == owner,
                    PendingQuestion.lease_epoch == epoch,
                    PendingQuestion.status == current,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            return moved.rowcount == 1

    def start_answering(
        self, question_id: int, owner: str, *, epoch: int = FIRST_EPOCH, lease_s: float | None = None
    ) -> bool:
        """Take the question ``owner`` holds at ``epoch`` to answer it now (for ``lease_s``, default the answer
        lease); False when another replica or worker has it (or had it)."""
        lease = self.answer_lease if lease_s is None else dt.timedelta(seconds=lease_s)
        return self._move(
            question_id,
            owner,
            epoch,
            QuestionStatus.PENDING.value,
            status=QuestionStatus.ANSWERING.value,
            lease_until=self.clock() + lease,
            attempts=PendingQuestion.attempts + 1,
        )

    def claim_send(
        self, question_id: int, owner: str, *, epoch: int = FIRST_EPOCH, lease_s: float | None = None
    ) -> bool:
        """Claim the reply's send just before calling Slack (held ``lease_s``, default the answer lease): True
        only while ``owner`` still holds the question at ``epoch`` (nobody took it over meanwhile); then, and
        only then, the reply may be sent."""
        lease = self.answer_lease if lease_s is None else dt.timedelta(seconds=lease_s)
        won = self._move(
            question_id,
            owner,
            epoch,
            QuestionStatus.ANSWERING.value,
            status=QuestionStatus.SENDING.value,
            lease_until=self.clock() + lease,
            send_started_at=func.coalesce(PendingQuestion.send_started_at, literal(self.clock(), UtcDateTime())),
        )
        if not won:
            logger.warning("question %d was taken over while being answered; its reply is not sent here", question_id)
        return won

    def answered(self, question_id: int, owner: str, *, epoch: int = FIRST_EPOCH) -> bool:
        """The reply was sent: the question is done."""
        sending = QuestionStatus.SENDING.value
        now = self.clock()
        return self._move(
            question_id, owner, epoch, sending, status=QuestionStatus.ANSWERED.value, answered_at=now, lease_until=None
        )

    def renew(self, question_ids: Collection[int], owner: str) -> int:
        """The heartbeat: extend to a queue lease from now the leases of ``question_ids`` that ``owner`` still
        holds (a longer lease is left as it is); returns how many were renewed."""
        if not question_ids:
            return 0
        until = self.clock() + self.queue_lease
        with self.sessions.begin() as session:
            renewed = session.execute(
                update(PendingQuestion)
                .where(
                    PendingQuestion.id.in_(list(question_ids)),
                    PendingQuestion.claimed_by == owner,
                    PendingQuestion.status.in_(HELD),
                    PendingQuestion.lease_until < until,
                )
                .values(lease_until=until)
                .execution_options(synchronize_session=False)
            )
            return int(renewed.rowcount or 0)

    def not_delivered(self, question_id: int, owner: str, *, epoch: int = FIRST_EPOCH) -> None:
        """The reply could not be sent: try again after the queue lease (or give up after MAX_ATTEMPTS)."""
        now = self.clock()
        with self.sessions.begin() as session:
            row = session.get(PendingQuestion, question_id, with_for_update=True)
            answering = (QuestionStatus.ANSWERING.value, QuestionStatus.SENDING.value)
            if row is None or row.claimed_by != owner or row.lease_epoch != epoch or row.status not in answering:
                return
            if row.attempts >= MAX_ATTEMPTS:
                row.status, row.lease_until = QuestionStatus.FAILED.value, None
                logger.error("question %d could not be answered after %d attempts", row.id, row.attempts)
                return
            row.status, row.claimed_by, row.lease_until = QuestionStatus.PENDING.value, None, now + self.queue_lease
            row.lease_epoch += 1

    # -- taking over ---------------------------------------------------------------------------------

    def take_over(self, owner: str, limit: int = 100, *, exclude: Collection[int] = ()) -> list[Stored]:
        """Questions whose holder's lease ran out (a dead replica, a stuck queue), now held by ``owner``;
        ``exclude``: ids ``owner`` already has queued (left alone)."""
        now = self.clock()
        with self.sessions.begin() as session:
            query = (
                select(PendingQuestion)
                .where(PendingQuestion.status.in_(HELD), PendingQuestion.lease_until < now)
                .order_by(PendingQuestion.id)
                .limit(limit)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            if exclude:
                query = query.where(PendingQuestion.id.not_in(list(exclude)))
            taken = []
            for row in session.scalars(query):
                row.status, row.claimed_by, row.lease_until = (
                    QuestionStatus.PENDING.value,
                    owner,
                    now + self.queue_lease,
                )
                row.lease_epoch += 1
                taken.append(
                    Stored(row.id, False, _question(row), row.created_at, row.lease_epoch, row.send_started_at)
                )
            if taken:
                logger.info("took over %d question(s) whose lease ran out", len(taken))
            return taken

    def status(self, question_id: int) -> str | None:
        with self.sessions() as session:
            return session.scalar(select(PendingQuestion.status).where(PendingQuestion.id == question_id))


def _values(question: Question, owner: str, lease_until: dt.datetime, now: dt.datetime) -> dict[str, Any]:
    """The columns of a question just stored, held by ``owner``."""
    return {
        "request_key": question.request_key[:REQUEST_KEY_LEN],
        "user_id": question.user_id,
        "channel_id": question.channel_id,
        "surface": question.surface,
        "text": clean_text(question.text)[:MAX_TEXT],
        "response_url": (question.response_url or "")[:URL_LEN] or None,
        "thread_ts": question.thread_ts,
        "status": QuestionStatus.PENDING.value,
        "attempts": 0,
        "claimed_by": owner,
        "lease_epoch": FIRST_EPOCH,
        "lease_until": lease_until,
        "created_at": now,
    }


def _row(question: Question, owner: str, lease_until: dt.datetime, now: dt.datetime) -> PendingQuestion:
    return PendingQuestion(**_values(question, owner, lease_until, now))


def _question(row: PendingQuestion) -> Question:
    return Question(
        row.request_key, row.user_id, row.channel_id, row.surface, row.text, row.response_url, row.thread_ts
    )


def prune(engine: Engine, older_than: dt.timedelta = dt.timedelta(days=30)) -> int:
    """Forget questions answered (or given up) more than ``older_than`` ago (the question log keeps them)."""
    cutoff = utcnow() - older_than
    done = (QuestionStatus.ANSWERED.value, QuestionStatus.FAILED.value)
    with make_session_factory(engine).begin() as session:
        result = session.execute(
            delete(PendingQuestion).where(PendingQuestion.status.in_(done), PendingQuestion.created_at < cutoff)
        )
        return int(getattr(result, "rowcount", 0) or 0)
