"""Review signals: what the PMO's review queue is built from (issue 14). Written where a question is answered
(unanswered, "did you mean" offered), voted on ("Not helpful") or proposed an answer ("Mark as answer")."""

from __future__ import annotations

import enum
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from icam_bot.db.base import utcnow
from icam_bot.questions.models import QuestionLog, ReviewSignal

MAX_SIGNAL_TEXT = 4000


class SignalKind(enum.StrEnum):
    UNANSWERED = "unanswered"  # declined (no redirect), offered to log for the PMO
    SUGGESTED = "suggested"  # "did you mean": a gap unless the asker picks one
    NOT_HELPFUL = "not_helpful"  # an answer voted "Not helpful"
    PROPOSED = "proposed"  # a thread reply by a PMO member proposed as the answer ("Mark as answer")


def add_signal(
    session: Session,
    kind: SignalKind,
    user_id: str,
    text: str,
    *,
    log_id: int | None = None,
    entry_ids: Sequence[str] = (),
    proposal: str | None = None,
    proposed_by: str | None = None,
) -> ReviewSignal:
    """Add a signal to the caller's transaction."""
    row = ReviewSignal(
        kind=kind.value,
        log_id=log_id,
        user_id=user_id,
        text=text[:MAX_SIGNAL_TEXT],
        entry_ids=list(entry_ids),
        proposal=proposal[:MAX_SIGNAL_TEXT] if proposal else None,
        proposed_by=proposed_by,
        picked=False,
        created_at=utcnow(),
    )
    session.add(row)
    return row


def mark_picked(session: Session, log_id: int) -> None:
    """The asker picked one of the "did you mean" suggestions: that question is answered, no gap."""
    session.execute(
        update(ReviewSignal)
        .where(ReviewSignal.log_id == log_id, ReviewSignal.kind == SignalKind.SUGGESTED.value)
        .values(picked=True)
    )


def record_vote(session: Session, log_id: int | None, entry_id: str, user_id: str, helpful: bool) -> None:
    """A "Not helpful" vote on the answer to a logged question puts the question on the queue; voting "Helpful"
    again takes the vote's signal off (the question's own log row gives its text)."""
    if log_id is None:
        return
    existing = session.scalars(
        select(ReviewSignal).where(
            ReviewSignal.log_id == log_id,
            ReviewSignal.kind == SignalKind.NOT_HELPFUL.value,
            ReviewSignal.user_id == user_id,
            ReviewSignal.closure_id.is_(None),
        )
    ).first()
    if helpful:
        if existing is not None:
            existing.picked = True  # withdrawn: no longer a gap
        return
    if existing is not None:
        existing.picked = False
        return
    logged = session.get(QuestionLog, log_id)
    if logged is not None:
        add_signal(session, SignalKind.NOT_HELPFUL, user_id, logged.text, log_id=log_id, entry_ids=[entry_id])
