"""The answer service: ask the knowledge base, log the question, take feedback on the answer.

One typed core service for the whole answer path. The Slack side renders ``Answered.reply`` (with
``Answered.log_id`` on its buttons) and sends it; it neither matches nor writes the question log itself.
Synchronous: async callers run these methods with ``asyncio.to_thread``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from icam_bot.answers import Reply, Responder
from icam_bot.questions.signals import SignalKind
from icam_bot.questions.store import Store

logger = logging.getLogger(__name__)

#: Replies that carry no question worth recording (nothing typed, no words).
UNRECORDED_REASONS = ("empty", "no_words")


@dataclass(frozen=True)
class Asker:
    """Who asked, and where (``surface``: command, mention, dm, ...)."""

    user_id: str
    surface: str
    channel_id: str | None = None


@dataclass(frozen=True)
class QuestionRecord:
    """A question's entry in the log; ``can_log`` also counts it as unanswered for the PMO."""

    user_id: str
    channel_id: str | None
    surface: str
    text: str
    decision: str
    entry_id: str | None
    score: float
    can_log: bool = False
    category: str | None = None
    #: The entries offered beside the reply ("did you mean", related), for the PMO's review queue.
    candidates: tuple[str, ...] = ()

    @classmethod
    def of(cls, reply: Reply, asker: Asker, category: str | None = None) -> QuestionRecord:
        """``decision`` is what the person got (``Reply.kind``: answer, suggest, abstain or redirect)."""
        return cls(
            user_id=asker.user_id,
            channel_id=asker.channel_id,
            surface=asker.surface,
            text=reply.question,
            decision=reply.kind,
            entry_id=reply.entry.id if reply.entry else None,
            score=reply.score,
            can_log=reply.can_log,
            category=category,
            candidates=tuple(s.id for s in reply.suggestions),
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain values (picklable, for a record handed from a worker process to the one that spools it)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, fields: dict[str, Any]) -> QuestionRecord:
        return cls(**{**fields, "candidates": tuple(fields.get("candidates") or ())})


@dataclass(frozen=True)
class Answered:
    """A reply and what became of its record: ``log_id`` (carried by the reply's buttons) when it was logged,
    ``unrecorded`` when the database did not take it (to be written when it returns)."""

    reply: Reply
    log_id: int | None = None
    unrecorded: QuestionRecord | None = None


@dataclass(frozen=True)
class Feedback:
    """A Helpful / Not helpful vote on an answer (``message_ts``: the message voted on; a re-vote replaces it)."""

    entry_id: str
    user_id: str
    helpful: bool
    message_ts: str = ""
    #: The question-log row of the question answered (a "Not helpful" vote puts it on the review queue).
    log_id: int | None = None


class AnswerService:
    """Ask + log + feedback over a Responder (the knowledge base and matcher) and the question log."""

    def __init__(self, responder: Responder, store: Store) -> None:
        self.responder = responder
        self.store = store

    def answer(self, question: str, asker: Asker) -> Answered:
        """Answer ``question`` and log it (and it being unanswered). A database that does not take the record
        does not stop the answer: the record comes back in ``unrecorded``."""
        reply = self.responder.ask(question)
        if reply.reason in UNRECORDED_REASONS:
            return Answered(reply)
        record = QuestionRecord.of(reply, asker, self.category(reply))
        try:
            return Answered(reply, log_id=self.record(record))
        except SQLAlchemyError:
            logger.warning(  # the database's error, never the question: engines hide SQL parameters
                "could not record a question now (user=%s surface=%s); kept for later",
                asker.user_id,
                asker.surface,
                exc_info=True,
            )
            return Answered(reply, unrecorded=record)

    def category(self, reply: Reply) -> str | None:
        """The reply's knowledge category: the entry answered, else the first entry suggested (or related)."""
        if reply.entry is not None:
            return reply.entry.category
        first = self.responder.entry(reply.suggestions[0].id) if reply.suggestions else None
        return first.category if first is not None else None

    def record(self, record: QuestionRecord) -> int:
        """Write a question's log entry (and count it unanswered when it can be logged for the PMO)."""
        return write_record(self.store, record)

    def feedback(self, vote: Feedback) -> bool:
        """Record a vote; False (nothing written) when the entry is no longer in the knowledge base."""
        entry = self.responder.entry(vote.entry_id)
        if entry is None:
            return False
        self.store.record_feedback(
            vote.entry_id, vote.user_id, vote.helpful, vote.message_ts, category=entry.category, log_id=vote.log_id
        )
        return True


def write_record(store: Store, record: QuestionRecord) -> int:
    """The question log entry for ``record`` (and its unanswered count); returns the log row id."""
    log_id = store.log_question(
        user_id=record.user_id,
        channel_id=record.channel_id,
        surface=record.surface,
        text=record.text,
        decision=record.decision,
        entry_id=record.entry_id,
        score=record.score,
        category=record.category,
        signal=_signal_of(record),
    )
    if record.can_log:
        store.record_unanswered(record.text, record.user_id)
    return log_id


def _signal_of(record: QuestionRecord) -> tuple[SignalKind, tuple[str, ...]] | None:
    """What the question puts on the PMO's review queue: a "did you mean" (a gap unless the asker picks one) or
    a declined question (not a redirect: those are answered elsewhere)."""
    if not record.can_log:
        return None
    kind = SignalKind.SUGGESTED if record.decision == "suggest" else SignalKind.UNANSWERED
    return kind, record.candidates
