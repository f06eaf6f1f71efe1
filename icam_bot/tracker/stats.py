"""Tracker statistics: counts by status / program / severity, overdue, and medians over recent items."""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from icam_bot.tracker.models import OPEN_STATUSES, TrackerItem

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrackerStats:
    """Counts and medians at ``as_of``; medians are wall-clock hours, None without data."""

    as_of: dt.datetime
    total: int
    open: int
    overdue: int
    by_status: dict[str, int] = field(default_factory=dict)
    by_program: dict[str, int] = field(default_factory=dict)
    by_severity: dict[str, int] = field(default_factory=dict)
    median_hours_to_first_response: float | None = None
    median_hours_to_resolution: float | None = None


def overdue_clause(now: dt.datetime) -> ColumnElement[bool]:
    """Open, and past the first-response due time without a response or past the resolution due time."""
    return and_(
        TrackerItem.status.in_(OPEN_STATUSES),
        or_(
            and_(TrackerItem.first_response_at.is_(None), TrackerItem.first_response_due_at < now),
            TrackerItem.resolution_due_at < now,
        ),
    )


#: Medians are taken over this many most recent first responses / resolutions (bounded work at any size).
MEDIAN_WINDOW = 1000


def compute_stats(session: Session, now: dt.datetime, *, program: str | None = None) -> TrackerStats:
    """Statistics over every item (or one program's); medians over the most recent MEDIAN_WINDOW items."""
    where = [TrackerItem.program == program] if program else []
    grouped = session.execute(
        select(TrackerItem.status, TrackerItem.program, TrackerItem.severity, func.count())
        .where(*where)
        .group_by(TrackerItem.status, TrackerItem.program, TrackerItem.severity)
    ).all()
    overdue = session.execute(select(func.count()).where(overdue_clause(now), *where)).scalar_one()
    by_status: Counter[str] = Counter()
    by_program: Counter[str] = Counter()
    by_severity: Counter[str] = Counter()
    open_count = 0
    for status, prog, severity, count in grouped:
        by_status[status.value] += count
        by_program[prog] += count
        by_severity[severity.value] += count
        if status in OPEN_STATUSES:
            open_count += count
    return TrackerStats(
        as_of=now,
        total=sum(by_status.values()),
        open=open_count,
        overdue=overdue,
        by_status=dict(by_status),
        by_program=dict(by_program),
        by_severity=dict(by_severity),
        median_hours_to_first_response=_recent_median(session, TrackerItem.first_response_at, where),
        median_hours_to_resolution=_recent_median(session, TrackerItem.resolved_at, where),
    )


def _recent_median(session: Session, end: InstrumentedAttribute[dt.datetime | None], where: list) -> float | None:
    """Median hours from creation to ``end`` over the most recent MEDIAN_WINDOW items that have ``end``."""
    recent = (
        select(TrackerItem.created_at.label("created"), end.label("finished"))
        .where(end.is_not(None), *where)
        .order_by(end.desc())
        .limit(MEDIAN_WINDOW)
        .subquery()
    )
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", recent.c.finished - recent.c.created)
        value = session.execute(select(func.percentile_cont(0.5).within_group(seconds))).scalar_one()
        return None if value is None else round(float(value) / 3600, 2)
    rows = session.execute(select(recent.c.created, recent.c.finished)).all()
    durations = [(finished - created).total_seconds() for created, finished in rows]
    return round(statistics.median(durations) / 3600, 2) if durations else None
