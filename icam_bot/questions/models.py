"""The question log: every question asked, the questions the knowledge base could not answer, answer feedback."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, DateTime, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from icam_bot.db.base import Base, utcnow

USER_ID_LEN = 32
ENTRY_ID_LEN = 128
NORMALIZED_LEN = 500
CATEGORY_LEN = 64


class QuestionLog(Base):
    """Every question asked, what the bot decided and which entry it used."""

    __tablename__ = "question_log"
    __table_args__ = (
        Index("ix_question_log_user_id_asked_at", "user_id", "asked_at"),
        # answer analytics: the weekly counts by category and decision from the index alone
        Index("ix_question_log_asked_at_category_decision", "asked_at", "category", "decision"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    channel_id: Mapped[str | None] = mapped_column(String(USER_ID_LEN))
    surface: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    #: answer, suggest, abstain or redirect (an abstention pointing elsewhere; logged as abstain before 0010)
    decision: Mapped[str] = mapped_column(String(16))
    #: The knowledge category of the entry answered, else of the first entry suggested; None when neither.
    category: Mapped[str | None] = mapped_column(String(CATEGORY_LEN))
    entry_id: Mapped[str | None] = mapped_column(String(ENTRY_ID_LEN))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    asked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UnansweredQuestion(Base):
    """A question the knowledge base could not answer, grouped by normalised text for PMO curation."""

    __tablename__ = "unanswered_questions"
    __table_args__ = (Index("ix_unanswered_questions_last_asked_at", "last_asked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    normalized: Mapped[str] = mapped_column(String(NORMALIZED_LEN), unique=True)
    text: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer, default=0)
    pmo_requests: Mapped[int] = mapped_column(Integer, default=0)
    first_asked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_asked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    first_asked_by: Mapped[str] = mapped_column(String(USER_ID_LEN))
    last_asked_by: Mapped[str] = mapped_column(String(USER_ID_LEN))
    asked_by: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_permalink: Mapped[str | None] = mapped_column(String(1000))


class AnswerFeedback(Base):
    """A Helpful / Not helpful vote on an entry; one per user, entry and message (a re-vote updates it)."""

    __tablename__ = "answer_feedback"
    __table_args__ = (
        UniqueConstraint("entry_id", "user_id", "message_ts"),
        Index("ix_answer_feedback_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(ENTRY_ID_LEN), index=True)
    user_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    message_ts: Mapped[str] = mapped_column(String(32), default="")
    helpful: Mapped[bool] = mapped_column(Boolean)
    #: The entry's knowledge category when the vote was recorded.
    category: Mapped[str | None] = mapped_column(String(CATEGORY_LEN))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReviewSignal(Base):
    """A question the PMO should look at (issue 14's review queue): unanswered, "did you mean" left unpicked,
    voted "Not helpful", or a thread reply proposed as its answer. Grouped into queue rows when read; a row's
    closure (``closure_id``, a ``kb_review_closures`` row) takes its signals off the queue."""

    __tablename__ = "review_signals"
    __table_args__ = (
        Index("ix_review_signals_open", "closure_id", "picked", "id"),
        Index("ix_review_signals_log_id", "log_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: unanswered | suggested | not_helpful | proposed
    kind: Mapped[str] = mapped_column(String(16))
    log_id: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    text: Mapped[str] = mapped_column(Text)
    #: The entries the bot offered (suggested / related), or the entry voted not helpful.
    entry_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: A proposed answer (the "Mark as answer" shortcut): the reply's text and who wrote it.
    proposal: Mapped[str | None] = mapped_column(Text)
    proposed_by: Mapped[str | None] = mapped_column(String(USER_ID_LEN))
    #: The asker picked one of the suggestions (a "did you mean" that worked is no gap).
    picked: Mapped[bool] = mapped_column(Boolean, default=False)
    closure_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
