"""The weekly digest's data: one typed Digest, rendered for Slack (handlers/comms/blocks.py) and as plain text.

What "this week" means: ``period.start`` (inclusive) to ``period.end`` (exclusive), the seven days before the
digest's scheduled time. Knowledge entries *added* are the entry ids not recorded by the previous digest that
was sent (each sent digest records the ids it saw); the first digest has no baseline and says so rather than
guessing. Entries *due for review* are those whose ``last_reviewed + review_days`` falls before the end of the
coming week (overdue ones included).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from icam_bot.analytics.period import Window
from icam_bot.analytics.report import AnswerReport, compute_report
from icam_bot.comms.schedule import WEEK, DigestPeriod
from icam_bot.knowledge.model import Entry
from icam_bot.questions.models import UnansweredQuestion
from icam_bot.tracker.audit import SYSTEM_ACTOR
from icam_bot.tracker.models import OPEN_STATUSES, TrackerEvent, TrackerItem
from icam_bot.tracker.stats import overdue_clause

#: How many of each list the digest shows (the counts are always complete).
LIST_LIMIT = 10
#: The title the digest shows for an item of a program marked ``sensitive`` in the routing file.
RESTRICTED_TITLE = "(restricted)"


@dataclass(frozen=True)
class ItemLine:
    ref: str
    title: str
    program: str
    severity: str
    status: str


@dataclass(frozen=True)
class BreachLine:
    ref: str
    title: str
    program: str
    escalations: int  # sweeper escalations of this item during the week


@dataclass(frozen=True)
class QuestionLine:
    text: str
    count: int
    pmo_requests: int
    askers: int


@dataclass(frozen=True)
class EntryLine:
    id: str
    question: str
    owner: str
    review_due: dt.date | None = None


@dataclass(frozen=True)
class Digest:
    """Everything the weekly digest says. ``board`` is the status board's enterprise view (None if unavailable);
    ``entries_added`` is None when no earlier digest recorded a baseline."""

    period: DigestPeriod
    tz: str
    board: object | None
    opened_count: int
    opened: tuple[ItemLine, ...]
    resolved_count: int
    resolved: tuple[ItemLine, ...]
    breach_count: int  # distinct items the SLA sweeper escalated this week
    breaches: tuple[BreachLine, ...]
    open_now: int
    overdue_now: int
    unanswered: tuple[QuestionLine, ...]
    entries_added: tuple[EntryLine, ...] | None
    entries_due: tuple[EntryLine, ...]
    entries_due_count: int
    entry_ids: tuple[str, ...]  # recorded with the run, the baseline of the next digest's "added"
    #: The week's answer analytics (counts only: the unanswered questions' text is in ``unanswered``).
    answers: AnswerReport | None = None


def build_digest(
    session: Session,
    period: DigestPeriod,
    *,
    tz: str,
    entries: Sequence[Entry],
    previous_entry_ids: Sequence[str] | None,
    board: object | None = None,
    restricted: frozenset[str] = frozenset(),
) -> Digest:
    """Read the week's figures in one session (read-only); items of the ``restricted`` programs (sensitive)
    are listed without their titles."""
    start, end = period.start, period.end
    opened_where = (TrackerItem.created_at >= start, TrackerItem.created_at < end)
    resolved_where = (TrackerItem.resolved_at >= start, TrackerItem.resolved_at < end)
    breach_rows = session.execute(
        select(TrackerEvent.item_id, func.count())
        .where(
            TrackerEvent.action == "escalated",
            TrackerEvent.actor_id == SYSTEM_ACTOR,
            TrackerEvent.created_at >= start,
            TrackerEvent.created_at < end,
        )
        .group_by(TrackerEvent.item_id)
    ).all()
    escalations: dict[int, int] = {int(item_id): int(count) for item_id, count in breach_rows}
    breach_items = (
        session.scalars(select(TrackerItem).where(TrackerItem.id.in_(list(escalations)))).all() if escalations else []
    )
    breaches = sorted(
        (BreachLine(i.ref, _title(i, restricted), i.program, escalations[i.id]) for i in breach_items),
        key=lambda b: (-b.escalations, int(b.ref.split("-")[1])),
    )
    due = _due(entries, end)
    return Digest(
        period=period,
        tz=tz,
        board=board,
        opened_count=_count(session, *opened_where),
        opened=_items(session, restricted, TrackerItem.created_at, *opened_where),
        resolved_count=_count(session, *resolved_where),
        resolved=_items(session, restricted, TrackerItem.resolved_at, *resolved_where),
        breach_count=len(escalations),
        breaches=tuple(breaches[:LIST_LIMIT]),
        open_now=_count(session, TrackerItem.status.in_(OPEN_STATUSES), TrackerItem.created_at < end),
        overdue_now=_count(session, overdue_clause(end), TrackerItem.created_at < end),
        unanswered=_unanswered(session, start, end),
        entries_added=_added(entries, previous_entry_ids),
        entries_due=tuple(due[:LIST_LIMIT]),
        entries_due_count=len(due),
        entry_ids=tuple(sorted(e.id for e in entries)),
        answers=compute_report(session, Window(start, end), with_text=False),
    )


def _count(session: Session, *where: object) -> int:
    return int(session.execute(select(func.count()).select_from(TrackerItem).where(*where)).scalar_one())


def _title(item: TrackerItem, restricted: frozenset[str]) -> str:
    return RESTRICTED_TITLE if item.program in restricted else item.title


def _items(session: Session, restricted: frozenset[str], order: object, *where: object) -> tuple[ItemLine, ...]:
    rows = session.scalars(select(TrackerItem).where(*where).order_by(order, TrackerItem.id).limit(LIST_LIMIT))
    return tuple(ItemLine(i.ref, _title(i, restricted), i.program, i.severity.value, i.status.value) for i in rows)


def _unanswered(session: Session, start: dt.datetime, end: dt.datetime) -> tuple[QuestionLine, ...]:
    """Questions the knowledge base could not answer that were asked this week, most asked first."""
    rows = session.scalars(
        select(UnansweredQuestion)
        .where(UnansweredQuestion.last_asked_at >= start, UnansweredQuestion.last_asked_at < end)
        .order_by(
            (UnansweredQuestion.count + UnansweredQuestion.pmo_requests).desc(),
            UnansweredQuestion.last_asked_at.desc(),
        )
        .limit(LIST_LIMIT)
    )
    return tuple(QuestionLine(r.text, r.count, r.pmo_requests, len(r.asked_by or [])) for r in rows)


def _added(entries: Sequence[Entry], previous: Sequence[str] | None) -> tuple[EntryLine, ...] | None:
    if previous is None:
        return None
    seen = set(previous)
    return tuple(EntryLine(e.id, e.question, e.owner) for e in entries if e.id not in seen)


def _due(entries: Sequence[Entry], end: dt.datetime) -> list[EntryLine]:
    horizon = (end + WEEK).date()
    due = [e for e in entries if e.review_due() < horizon]
    due.sort(key=lambda e: (e.review_due(), e.id))
    return [EntryLine(e.id, e.question, e.owner, e.review_due()) for e in due]
