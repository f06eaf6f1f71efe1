"""The store: the one service the Slack handlers and the CLI use for the question log, handled events and feedback.

Synchronous SQLAlchemy; async callers run these methods with ``asyncio.to_thread``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from icam_bot.db.base import utcnow
from icam_bot.db.models import ProcessedEvent
from icam_bot.db.session import make_engine, make_session_factory, upsert_insert
from icam_bot.questions.models import CATEGORY_LEN, NORMALIZED_LEN, AnswerFeedback, QuestionLog, UnansweredQuestion
from icam_bot.questions.signals import SignalKind, add_signal, mark_picked, record_vote

logger = logging.getLogger(__name__)

MAX_ASKERS_KEPT = 50
MAX_STORED_TEXT = 4000


def normalize_question(text: str) -> str:
    """Lower-case words only, so "How do I reset my PIN?" and "how do i reset my pin" group together."""
    return " ".join(re.findall(r"\w+", text.lower()))[:NORMALIZED_LEN]


@dataclass(frozen=True)
class GapRow:
    """An unanswered question as the PMO sees it."""

    text: str
    normalized: str
    count: int
    pmo_requests: int
    askers: int
    first_asked_at: dt.datetime
    last_asked_at: dt.datetime
    last_permalink: str | None


@dataclass(frozen=True)
class LoggedQuestion:
    """A row of the question log, detached from its session."""

    id: int
    user_id: str
    text: str
    decision: str
    entry_id: str | None
    asked_at: dt.datetime


class Store:
    """Reads and writes icam-bot's tables; every method opens and commits its own session."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions: sessionmaker[Session] = make_session_factory(engine)

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(make_engine(url))

    def close(self) -> None:
        self.engine.dispose()

    # -- events ----------------------------------------------------------------------------------

    def claim_event(self, event_id: str) -> bool:
        """Record ``event_id``; False if any instance already did (a retry or a duplicate delivery)."""
        try:
            with self.sessions.begin() as session:
                session.add(ProcessedEvent(event_id=event_id, received_at=utcnow()))
        except IntegrityError:
            return False
        return True

    def record_events(self, event_ids: list[str]) -> None:
        """Record many handled event ids at once (those already recorded are left as they are)."""
        if not event_ids:
            return
        rows = [{"event_id": event_id, "received_at": utcnow()} for event_id in dict.fromkeys(event_ids)]
        with self.sessions.begin() as session:
            session.execute(upsert_insert(self.engine, ProcessedEvent).values(rows).on_conflict_do_nothing())

    def prune_events(self, older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
        """Forget processed events older than Slack's retry window; returns how many were removed."""
        with self.sessions.begin() as session:
            result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < utcnow() - older_than))
            return int(getattr(result, "rowcount", 0) or 0)

    # -- questions -------------------------------------------------------------------------------

    def log_question(
        self,
        *,
        user_id: str,
        text: str,
        decision: str,
        surface: str,
        channel_id: str | None = None,
        entry_id: str | None = None,
        score: float = 0.0,
        category: str | None = None,
        signal: tuple[SignalKind, Sequence[str]] | None = None,
    ) -> int:
        """Append to the question log; returns the row id (carried by buttons on the reply). ``signal``
        (kind, entries offered) also puts the question on the PMO's review queue, in the same transaction."""
        with self.sessions.begin() as session:
            row = QuestionLog(
                user_id=user_id,
                channel_id=channel_id,
                surface=surface,
                text=text[:MAX_STORED_TEXT],
                decision=decision,
                entry_id=entry_id,
                score=score,
                category=category[:CATEGORY_LEN] if category else None,
                asked_at=utcnow(),
            )
            session.add(row)
            session.flush()
            if signal is not None:
                add_signal(session, signal[0], user_id, text, log_id=row.id, entry_ids=signal[1])
            return row.id

    def picked_suggestion(self, log_id: int) -> None:
        """The asker picked a "did you mean" suggestion for the logged question (it leaves the review queue)."""
        with self.sessions.begin() as session:
            mark_picked(session, log_id)

    def logged_question(self, log_id: int) -> LoggedQuestion | None:
        with self.sessions() as session:
            row = session.get(QuestionLog, log_id)
            return _logged(row) if row else None

    def recent_questions(self, user_id: str, limit: int = 5) -> list[LoggedQuestion]:
        with self.sessions() as session:
            rows = session.scalars(
                select(QuestionLog)
                .where(QuestionLog.user_id == user_id)
                .order_by(QuestionLog.asked_at.desc(), QuestionLog.id.desc())
                .limit(limit)
            )
            return [_logged(r) for r in rows]

    def record_unanswered(
        self,
        text: str,
        user_id: str,
        *,
        pmo_request: bool = False,
        permalink: str | None = None,
    ) -> int | None:
        """Count an unanswered question (or an explicit request to log one for the PMO); returns the row id.

        A PMO request for a question already counted does not count it twice: it bumps ``pmo_requests``.
        """
        normalized = normalize_question(text)
        if not normalized:
            return None
        now = utcnow()
        for _attempt in range(3):
            try:
                with self.sessions.begin() as session:
                    row = session.scalars(
                        select(UnansweredQuestion).where(UnansweredQuestion.normalized == normalized).with_for_update()
                    ).one_or_none()
                    if row is None:
                        row = UnansweredQuestion(
                            normalized=normalized,
                            text=text[:MAX_STORED_TEXT],
                            count=1,
                            pmo_requests=int(pmo_request),
                            first_asked_at=now,
                            last_asked_at=now,
                            first_asked_by=user_id,
                            last_asked_by=user_id,
                            asked_by=[user_id],
                            last_permalink=permalink,
                        )
                        session.add(row)
                        session.flush()
                        return row.id
                    if pmo_request:
                        row.pmo_requests += 1
                    else:
                        row.count += 1
                    row.text = text[:MAX_STORED_TEXT]
                    row.last_asked_at = now
                    row.last_asked_by = user_id
                    if user_id not in row.asked_by and len(row.asked_by) < MAX_ASKERS_KEPT:
                        row.asked_by = [*row.asked_by, user_id]
                    if permalink:
                        row.last_permalink = permalink
                    return row.id
            except IntegrityError:
                continue  # another writer inserted the same question first: update its row instead
        logger.error("could not record an unanswered question after retries")
        return None

    def top_unanswered(self, limit: int = 20) -> list[GapRow]:
        """Unanswered questions, most asked (then most requested, most recent) first."""
        with self.sessions() as session:
            rows = session.scalars(
                select(UnansweredQuestion)
                .order_by(
                    (UnansweredQuestion.count + UnansweredQuestion.pmo_requests).desc(),
                    UnansweredQuestion.last_asked_at.desc(),
                )
                .limit(limit)
            )
            return [
                GapRow(
                    text=r.text,
                    normalized=r.normalized,
                    count=r.count,
                    pmo_requests=r.pmo_requests,
                    askers=len(r.asked_by or []),
                    first_asked_at=r.first_asked_at,
                    last_asked_at=r.last_asked_at,
                    last_permalink=r.last_permalink,
                )
                for r in rows
            ]

    # -- feedback --------------------------------------------------------------------------------

    def record_feedback(
        self,
        entry_id: str,
        user_id: str,
        helpful: bool,
        message_ts: str = "",
        *,
        category: str | None = None,
        log_id: int | None = None,
    ) -> None:
        """Record a vote (``category``: the entry's); voting again on the same message changes the vote. A "Not
        helpful" vote on a logged question also puts it on the PMO's review queue."""
        now = utcnow()
        for _attempt in range(3):
            try:
                with self.sessions.begin() as session:
                    row = session.scalars(
                        select(AnswerFeedback).where(
                            AnswerFeedback.entry_id == entry_id,
                            AnswerFeedback.user_id == user_id,
                            AnswerFeedback.message_ts == message_ts,
                        )
                    ).one_or_none()
                    if row is None:
                        session.add(
                            AnswerFeedback(
                                entry_id=entry_id,
                                user_id=user_id,
                                message_ts=message_ts,
                                helpful=helpful,
                                category=category[:CATEGORY_LEN] if category else None,
                                created_at=now,
                                updated_at=now,
                            )
                        )
                    else:
                        row.helpful = helpful
                        row.updated_at = now
                    record_vote(session, log_id, entry_id, user_id, helpful)
                    return
            except IntegrityError:
                continue

    def feedback_counts(self, entry_id: str) -> tuple[int, int]:
        """(helpful, not helpful) votes for an entry."""
        with self.sessions() as session:
            rows = session.execute(
                select(AnswerFeedback.helpful, func.count())
                .where(AnswerFeedback.entry_id == entry_id)
                .group_by(AnswerFeedback.helpful)
            ).all()
        counts = {bool(helpful): int(n) for helpful, n in rows}
        return counts.get(True, 0), counts.get(False, 0)


def _logged(row: QuestionLog) -> LoggedQuestion:
    return LoggedQuestion(row.id, row.user_id, row.text, row.decision, row.entry_id, row.asked_at)
