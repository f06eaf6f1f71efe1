"""The answer report: per week and category, what was asked and what the bot did, the feedback, the questions that
became tracker items, the top unanswered topics and the median time from a logged question to its answer.

Anyone may read the counts; the unanswered topics' text (what people typed) is for PMO members only, and a read
that shows it is recorded in the access log in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields

from sqlalchemy.orm import Session, sessionmaker

from icam_bot.analytics import queries
from icam_bot.analytics.period import Window
from icam_bot.analytics.queries import TopicRow
from icam_bot.records.access import AccessAction, AccessNote, Outcome, Surface

#: How many unanswered topics a report lists.
TOP_TOPICS = 10
#: The access log's target for a read of the unanswered topics' text.
TOPICS_TARGET = "unanswered topics"


@dataclass(frozen=True)
class Counts:
    """What happened to the questions of one week and category (or a total of several)."""

    asked: int = 0
    answered: int = 0
    suggested: int = 0
    declined: int = 0
    redirected: int = 0
    helpful: int = 0
    not_helpful: int = 0
    became_items: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Counts)))

    @property
    def not_answered(self) -> int:
        return self.asked - self.answered


COUNT_FIELDS = tuple(f.name for f in fields(Counts))


@dataclass(frozen=True)
class Row:
    week: dt.date
    category: str
    counts: Counts


@dataclass(frozen=True)
class AnswerReport:
    """The report over ``window``; ``topics`` carry text only when ``text_shown``."""

    window: Window
    rows: tuple[Row, ...]
    median_hours_to_answer: float | None
    answered_items: int  # resolved items from questions, the median's sample
    unanswered_topics: int
    unanswered_asks: int
    topics: tuple[TopicRow, ...]
    text_shown: bool

    @property
    def total(self) -> Counts:
        return sum((r.counts for r in self.rows), Counts())

    def by_week(self) -> dict[dt.date, Counts]:
        """Every week of the window (empty weeks at zero), oldest first."""
        weeks = {week: Counts() for week in self.window.weeks}
        for row in self.rows:
            weeks[row.week] = weeks.get(row.week, Counts()) + row.counts
        return dict(sorted(weeks.items()))

    def by_category(self) -> dict[str, Counts]:
        """Categories by questions asked, most first."""
        totals: dict[str, Counts] = defaultdict(Counts)
        for row in self.rows:
            totals[row.category] = totals[row.category] + row.counts
        return dict(sorted(totals.items(), key=lambda kv: (-kv[1].asked, kv[0])))


def _merge(
    question_rows: Iterable[queries.QuestionCounts],
    feedback_rows: Iterable[queries.FeedbackCounts],
    item_rows: Iterable[queries.ItemCounts],
) -> tuple[Row, ...]:
    """One row per (week, category) from the three grouped queries."""
    merged: dict[tuple[dt.date, str], Counts] = defaultdict(Counts)
    for q in question_rows:
        merged[q.week, q.category] += Counts(q.asked, q.answered, q.suggested, q.declined, q.redirected)
    for f in feedback_rows:
        merged[f.week, f.category] += Counts(helpful=f.helpful, not_helpful=f.not_helpful)
    for i in item_rows:
        merged[i.week, i.category] += Counts(became_items=i.items)
    return tuple(Row(week, category, counts) for (week, category), counts in sorted(merged.items()))


def compute_report(session: Session, window: Window, *, with_text: bool, top: int = TOP_TOPICS) -> AnswerReport:
    """The report over ``window`` in one session (``with_text``: the unanswered topics' text)."""
    rows = _merge(
        queries.question_counts(session, window),
        queries.feedback_counts(session, window),
        queries.item_counts(session, window),
    )
    median, answered = queries.median_hours_to_answer(session, window)
    topics, asks = queries.unanswered_totals(session, window)
    return AnswerReport(
        window=window,
        rows=rows,
        median_hours_to_answer=median,
        answered_items=answered,
        unanswered_topics=topics,
        unanswered_asks=asks,
        topics=tuple(queries.top_unanswered(session, window, top, with_text=with_text)),
        text_shown=with_text,
    )


class AnswerAnalytics:
    """Reads the answer report for a person: text for PMO members (the read recorded), counts for anyone else."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        is_pmo: Callable[[str], bool],
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.sessions = sessions
        self.is_pmo = is_pmo
        self.clock = clock

    def report(
        self,
        *,
        actor: str,
        window: Window | None = None,
        surface: Surface = Surface.SLACK,
        pmo: bool | None = None,
    ) -> AnswerReport:
        """The report over ``window`` (default the last 12 weeks) as ``actor`` may see it; ``pmo`` overrides the
        routing file's membership (the command line, whose operator reads the database anyway)."""
        window = window or Window.last_weeks(self.clock())
        with_text = self.is_pmo(actor) if pmo is None else pmo
        with self.sessions.begin() as session:
            report = compute_report(session, window, with_text=with_text)
            if with_text and report.topics:
                note = AccessNote(AccessAction.ANALYTICS, actor, TOPICS_TARGET, surface)
                detail = f"{len(report.topics)} topic(s) since {window.start.date()}"
                session.add(note.event(Outcome.ALLOWED, self.clock(), detail))
        return report
