"""The analytics queries: every count is a GROUP BY in the database (the rows never come back one by one)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, case, func, not_, select
from sqlalchemy.orm import Session

from icam_bot.analytics.period import Window
from icam_bot.analytics.sql import median, seconds_between, week_start
from icam_bot.questions.models import AnswerFeedback, QuestionLog, UnansweredQuestion
from icam_bot.tracker.models import TrackerItem

#: The category of questions that matched no entry (none answered, none suggested).
UNCATEGORISED = "uncategorised"


@dataclass(frozen=True)
class QuestionCounts:
    week: dt.date
    category: str
    asked: int
    answered: int
    suggested: int
    declined: int
    redirected: int


@dataclass(frozen=True)
class FeedbackCounts:
    week: dt.date
    category: str
    helpful: int
    not_helpful: int


@dataclass(frozen=True)
class ItemCounts:
    week: dt.date
    category: str
    items: int


@dataclass(frozen=True)
class TopicRow:
    """An unanswered question (``text`` None when the reader may see counts only)."""

    text: str | None
    asked: int
    pmo_requests: int
    last_asked_at: dt.datetime


def _week(value: str) -> dt.date:
    return dt.date.fromisoformat(str(value))


def _category(value: str | None) -> str:
    return value or UNCATEGORISED


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)


def _in(column: ColumnElement[dt.datetime], window: Window) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return column >= window.start, column < window.end


def question_counts(session: Session, window: Window) -> list[QuestionCounts]:
    """Questions asked per week and category, by what the bot did."""
    week = week_start(QuestionLog.asked_at)
    decision = QuestionLog.decision
    rows = session.execute(
        select(
            week,
            QuestionLog.category,
            func.count(),
            _count_if(decision == "answer"),
            _count_if(decision == "suggest"),
            _count_if(decision == "abstain"),
            _count_if(decision == "redirect"),
        )
        .where(*_in(QuestionLog.asked_at, window))
        .group_by(week, QuestionLog.category)
    ).all()
    return [QuestionCounts(_week(w), _category(c), *map(int, counts)) for w, c, *counts in rows]


def feedback_counts(session: Session, window: Window) -> list[FeedbackCounts]:
    """Helpful / not helpful votes per week (of the first vote) and category."""
    week = week_start(AnswerFeedback.created_at)
    helpful = AnswerFeedback.helpful
    rows = session.execute(
        select(week, AnswerFeedback.category, _count_if(helpful), _count_if(not_(helpful)))
        .where(*_in(AnswerFeedback.created_at, window))
        .group_by(week, AnswerFeedback.category)
    ).all()
    return [FeedbackCounts(_week(w), _category(c), int(yes), int(no)) for w, c, yes, no in rows]


def item_counts(session: Session, window: Window) -> list[ItemCounts]:
    """Questions (by week asked and category) that became tracker items."""
    week = week_start(QuestionLog.asked_at)
    rows = session.execute(
        select(week, QuestionLog.category, func.count(func.distinct(QuestionLog.id)))
        .join(TrackerItem, TrackerItem.question_log_id == QuestionLog.id)
        .where(*_in(QuestionLog.asked_at, window))
        .group_by(week, QuestionLog.category)
    ).all()
    return [ItemCounts(_week(w), _category(c), int(n)) for w, c, n in rows]


def median_hours_to_answer(session: Session, window: Window) -> tuple[float | None, int]:
    """Median hours from a question logged as a tracker item (asked, or the item's creation when its question-log
    row is gone) to the item's resolution, over items resolved in the window; and how many there were."""
    asked = func.coalesce(QuestionLog.asked_at, TrackerItem.created_at)
    durations = (
        select(seconds_between(asked, TrackerItem.resolved_at))
        .select_from(TrackerItem)
        .outerjoin(QuestionLog, QuestionLog.id == TrackerItem.question_log_id)
        .where(TrackerItem.question_log_id.is_not(None), *_in(TrackerItem.resolved_at, window))
    )
    seconds, count = median(session, durations)
    return (None if seconds is None else round(seconds / 3600, 2)), count


def unanswered_totals(session: Session, window: Window) -> tuple[int, int]:
    """(distinct unanswered questions last asked in the window, times they were asked or logged for the PMO)."""
    total = UnansweredQuestion.count + UnansweredQuestion.pmo_requests
    topics, asks = session.execute(
        select(func.count(), func.coalesce(func.sum(total), 0)).where(*_in(UnansweredQuestion.last_asked_at, window))
    ).one()
    return int(topics), int(asks)


def top_unanswered(session: Session, window: Window, limit: int, *, with_text: bool) -> list[TopicRow]:
    """The most asked unanswered questions last asked in the window (text only ``with_text``)."""
    total = UnansweredQuestion.count + UnansweredQuestion.pmo_requests
    rows = session.execute(
        select(
            UnansweredQuestion.text,
            UnansweredQuestion.count,
            UnansweredQuestion.pmo_requests,
            UnansweredQuestion.last_asked_at,
        )
        .where(*_in(UnansweredQuestion.last_asked_at, window))
        .order_by(total.desc(), UnansweredQuestion.last_asked_at.desc(), UnansweredQuestion.id)
        .limit(limit)
    ).all()
    return [TopicRow(text if with_text else None, int(n), int(pmo), _aware(at)) for text, n, pmo, at in rows]


def weekly_items(session: Session, window: Window) -> tuple[dict[dt.date, int], dict[dt.date, int]]:
    """Tracker items opened, and resolved, per week."""
    return _per_week(session, TrackerItem.created_at, window), _per_week(session, TrackerItem.resolved_at, window)


def _per_week(session: Session, column: ColumnElement[dt.datetime], window: Window) -> dict[dt.date, int]:
    week = week_start(column)
    rows = session.execute(select(week, func.count()).where(*_in(column, window)).group_by(week)).all()
    return {_week(w): int(n) for w, n in rows}


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
