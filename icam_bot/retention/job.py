"""The retention job: keep personal and personnel-security text no longer than the records schedule says.

- Question logs (``question_log`` rows asked, ``unanswered_questions`` rows last asked, more than
  ``questions_days`` ago) are deleted, and so are stored questions (``pending_questions``) asked before then
  that were answered or given up. The review queue's copies of those questions go with them: its signals are
  deleted, and rows the PMO closed then keep how and by whom they were closed but no longer the askers and their
  wording (``kb_review_closures``).
- Finished items (resolved or closed more than ``closed_items_days`` ago; closed_at, else resolved_at) have
  their free text replaced with ``[redacted]``: title, description, resolution, comment bodies; the bureau is
  cleared. The item, its dates, people and status stay, and a ``redacted`` event is appended to its history.
  The item's messages in the outbox (each a copy of the item and of what people wrote) and its webhook
  deliveries (each a copy of its title) are deleted.
  Audit rows (tracker events, board events, deliveries, the access log) are never changed.
- Each real run that changed something, and every run from the command line, is recorded in the access log.

Safe to run on several replicas at once: each item is redacted by a conditional update (``redacted_at IS
NULL``), so only one run writes its event.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from icam_bot.db.base import utcnow
from icam_bot.db.session import make_session_factory
from icam_bot.inbox.models import PendingQuestion, QuestionStatus
from icam_bot.outbox.models import OutboxMessage
from icam_bot.questions.models import QuestionLog, ReviewSignal, UnansweredQuestion
from icam_bot.records.access import AccessAction, AccessLog, AccessNote, Outcome, Surface
from icam_bot.records.policy import REDACTED, RetentionPolicy
from icam_bot.teaching.models import ReviewClosure
from icam_bot.tracker.audit import SYSTEM_ACTOR
from icam_bot.tracker.models import Status, TrackerComment, TrackerEvent, TrackerItem
from icam_bot.webhooks.models import WebhookDelivery

logger = logging.getLogger(__name__)

__all__ = ["REDACTED", "RetentionJob", "RetentionPolicy", "RetentionReport"]

#: Items redacted per transaction.
BATCH = 200
FINISHED = (Status.RESOLVED, Status.CLOSED)


@dataclass(frozen=True)
class RetentionReport:
    """What a run removed or redacted (a dry run: what it would have)."""

    dry_run: bool
    question_log: int = 0
    unanswered: int = 0
    items: int = 0
    comments: int = 0
    #: Stored questions (``pending_questions``, answered or given up) purged with the question logs.
    stored_questions: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.question_log or self.unanswered or self.items or self.stored_questions)

    def summary(self) -> str:
        verb = ("would purge", "would redact") if self.dry_run else ("purged", "redacted")
        stored = f", {self.stored_questions} stored question(s)" if self.stored_questions else ""
        return (
            f"{verb[0]} {self.question_log} question log row(s){stored} and {self.unanswered} unanswered "
            f"question(s); {verb[1]} {self.items} finished item(s) ({self.comments} comment(s))"
        )


class RetentionJob:
    """Applies a RetentionPolicy to the database."""

    def __init__(
        self,
        sessions: sessionmaker[Session] | Engine,
        policy: RetentionPolicy,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.sessions = make_session_factory(sessions) if isinstance(sessions, Engine) else sessions
        self.policy = policy
        self.clock = clock

    def run(
        self, *, actor: str = SYSTEM_ACTOR, surface: Surface = Surface.CLI, dry_run: bool = False
    ) -> RetentionReport:
        now = self.clock()
        questions, unanswered, stored = self._questions(self.policy.questions_cutoff(now), dry_run)
        items, comments = self._items(self.policy.items_cutoff(now), now, dry_run)
        report = RetentionReport(dry_run, questions, unanswered, items, comments, stored)
        if not dry_run and (report.changed or surface is Surface.CLI) and self.policy.enabled:
            note = AccessNote(AccessAction.RETENTION, actor, "question logs, finished items", surface)
            AccessLog(self.sessions, clock=self.clock).record(
                note, Outcome.ALLOWED, f"{report.summary()} ({self.policy.describe()})"
            )
        if report.changed:
            logger.info("retention: %s", report.summary())
        return report

    def _questions(self, cutoff: dt.datetime | None, dry_run: bool) -> tuple[int, int, int]:
        if cutoff is None:
            return 0, 0, 0
        old_log = QuestionLog.asked_at < cutoff
        old_gap = UnansweredQuestion.last_asked_at < cutoff
        old_signal = ReviewSignal.created_at < cutoff  # the review queue's copies of questions (issue 14)
        done = (QuestionStatus.ANSWERED.value, QuestionStatus.FAILED.value)
        old_stored = and_(PendingQuestion.created_at < cutoff, PendingQuestion.status.in_(done))
        with self.sessions.begin() as session:
            if dry_run:
                return (
                    _count(session, QuestionLog, old_log),
                    _count(session, UnansweredQuestion, old_gap)
                    + _count(session, ReviewSignal, old_signal)
                    + len(_closures_to_redact(session, cutoff)),
                    _count(session, PendingQuestion, old_stored),
                )
            logs = session.execute(delete(QuestionLog).where(old_log))
            gaps = session.execute(delete(UnansweredQuestion).where(old_gap))
            signals = session.execute(delete(ReviewSignal).where(old_signal))
            stored = session.execute(delete(PendingQuestion).where(old_stored))
            closures = _redact_closures(session, cutoff)
            return (
                int(getattr(logs, "rowcount", 0) or 0),
                int(getattr(gaps, "rowcount", 0) or 0) + int(getattr(signals, "rowcount", 0) or 0) + closures,
                int(getattr(stored, "rowcount", 0) or 0),
            )

    def _items(self, cutoff: dt.datetime | None, now: dt.datetime, dry_run: bool) -> tuple[int, int]:
        if cutoff is None:
            return 0, 0
        due: tuple[ColumnElement[bool], ...] = (
            TrackerItem.status.in_(FINISHED),
            TrackerItem.redacted_at.is_(None),
            or_(
                and_(TrackerItem.closed_at.is_not(None), TrackerItem.closed_at < cutoff),
                and_(TrackerItem.closed_at.is_(None), TrackerItem.resolved_at < cutoff),
            ),
        )
        if dry_run:
            with self.sessions() as session:
                items = _count(session, TrackerItem, *due)
                comments = session.scalar(
                    select(func.count())
                    .select_from(TrackerComment)
                    .join(TrackerItem, TrackerComment.item_id == TrackerItem.id)
                    .where(*due)
                )
                return items, int(comments or 0)
        with self.sessions() as session:
            ids = list(session.scalars(select(TrackerItem.id).where(*due).order_by(TrackerItem.id)))
        items = comments = 0
        for start in range(0, len(ids), BATCH):
            with self.sessions.begin() as session:
                for item_id in ids[start : start + BATCH]:
                    redacted = self._redact(session, item_id, due, now)
                    if redacted is not None:
                        items += 1
                        comments += redacted
        return items, comments

    def _redact(
        self, session: Session, item_id: int, due: tuple[ColumnElement[bool], ...], now: dt.datetime
    ) -> int | None:
        """Redact one item unless another run did first; returns its comments redacted, None if skipped."""
        won = session.execute(
            update(TrackerItem)
            .where(TrackerItem.id == item_id, *due)
            .values(title=REDACTED, description=REDACTED, bureau=None, redacted_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if won.rowcount != 1:
            return None
        session.execute(
            update(TrackerItem)
            .where(TrackerItem.id == item_id, TrackerItem.resolution.is_not(None))
            .values(resolution=REDACTED)
            .execution_options(synchronize_session=False)
        )
        comments = session.execute(
            update(TrackerComment)
            .where(TrackerComment.item_id == item_id, TrackerComment.body != REDACTED)
            .values(body=REDACTED)
            .execution_options(synchronize_session=False)
        )
        count = int(comments.rowcount or 0)
        # the item's messages owed or sent: each holds a copy of the item and of people's text
        session.execute(delete(OutboxMessage).where(OutboxMessage.item_id == item_id))
        session.execute(delete(WebhookDelivery).where(WebhookDelivery.item_id == item_id))  # copies of its title
        days = self.policy.closed_items_days
        session.add(
            TrackerEvent(
                item_id=item_id,
                actor_id=SYSTEM_ACTOR,
                action="redacted",
                detail=f"title, description, resolution, bureau and {count} comment(s) redacted: finished more "
                f"than {days} days ago (ICAM_RETENTION_CLOSED_ITEMS_DAYS)",
                created_at=now,
            )
        )
        return count


def _count(session: Session, model: type, *where: object) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _closures_to_redact(session: Session, cutoff: dt.datetime) -> list[ReviewClosure]:
    """Closed review-queue rows older than the cutoff that still hold the askers and their wording."""
    rows = session.scalars(select(ReviewClosure).where(ReviewClosure.closed_at < cutoff)).all()
    return [row for row in rows if row.questions or row.askers]


def _redact_closures(session: Session, cutoff: dt.datetime) -> int:
    """Drop the askers and their questions from old closed review rows (the closure itself, who closed it and
    how, stay: the teaching audit refers to it). Returns how many rows were redacted."""
    rows = _closures_to_redact(session, cutoff)
    for row in rows:
        row.questions, row.askers = [], []
    return len(rows)
