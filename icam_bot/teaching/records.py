"""What a teaching action writes, each in the caller's transaction: the closure of a review-queue row, a
knowledge change, the audit event, and the messages owed to the askers (the outbox)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from icam_bot.errors import IcamError
from icam_bot.outbox.service import enqueue
from icam_bot.questions.models import ReviewSignal
from icam_bot.teaching.models import ChangeKind, ChangeStatus, LiveChange, ReviewClosure, TeachingEvent
from icam_bot.teaching.queue import QueueRow

#: The outbox topic of the message an asker gets when their question is answered.
TOPIC = "kb_answer"


class TeachingError(IcamError):
    """A teaching action refused (not allowed, already closed, unknown entry...); safe to show."""


class Recorder:
    """Writes one teaching action's records in the caller's transaction, as ``actor`` at ``now``."""

    def __init__(self, session: Session, actor: str, now: dt.datetime) -> None:
        self.session = session
        self.actor = actor
        self.now = now

    def close(self, row: QueueRow, action: str, target: str | None) -> ReviewClosure:
        """Close a review-queue row: record the closure and claim its signals (refused if someone else did
        first)."""
        closure = ReviewClosure(
            action=action,
            target_id=target,
            questions=list(row.questions),
            askers=[list(pair) for pair in row.asked],
            closed_by=self.actor,
            closed_at=self.now,
        )
        self.session.add(closure)
        self.session.flush()
        taken = self.session.execute(
            update(ReviewSignal)
            .where(ReviewSignal.id.in_(row.signal_ids), ReviewSignal.closure_id.is_(None))
            .values(closure_id=closure.id)
        )
        if not getattr(taken, "rowcount", 0):
            raise TeachingError("That row was already closed by someone else.")
        return closure

    def change(
        self,
        kind: ChangeKind,
        target: str,
        status: ChangeStatus,
        *,
        text: str | None = None,
        entry: dict[str, Any] | None = None,
    ) -> LiveChange:
        """A knowledge change: live at once (approved by its author) or a draft waiting for a second person."""
        live = status is ChangeStatus.LIVE
        change = LiveChange(
            kind=kind.value,
            target_id=target,
            text=text,
            entry=entry,
            status=status.value,
            proposed_by=self.actor,
            proposed_at=self.now,
            approved_by=self.actor if live else None,
            approved_at=self.now if live else None,
        )
        self.session.add(change)
        return change

    def audit(
        self,
        action: str,
        target: str,
        *,
        change_id: int | None = None,
        closure_id: int | None = None,
        after: str | None = None,
        detail: str | None = None,
    ) -> None:
        """The audit event of the action."""
        self.session.add(
            TeachingEvent(
                target=target,
                change_id=change_id,
                closure_id=closure_id,
                actor_id=self.actor,
                action=action,
                field=None,
                before=None,
                after=after,
                detail=detail,
                created_at=self.now,
            )
        )

    def notify(self, closure_id: int, asked: Iterable[tuple[str, str]], payload: dict[str, Any]) -> int:
        """One message per asker (their own question with the answer), once: the dedupe key is closure + asker."""
        sent = 0
        for user, question in asked:
            key = f"kb-answer:{closure_id}:{user}"
            if enqueue(self.session, TOPIC, user, {**payload, "question": question}, dedupe_key=key):
                sent += 1
        return sent


def closure_askers(closure: ReviewClosure) -> list[tuple[str, str]]:
    """The (asker, question) pairs a closure recorded."""
    return [(str(pair[0]), str(pair[1])) for pair in closure.askers]
