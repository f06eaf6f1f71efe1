"""Tracker statistics in two queries: counts by status / program / severity with overdue, and medians."""

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


def compute_stats(session: Session, now: dt.datetime, *, program: str | None = None) -> TrackerStats:
    """Statistics over every item (or one program's)."""
    where = [TrackerItem.program == program] if program else []
    grouped = session.execute(
        select(
            TrackerItem.status,
            TrackerItem.program,
            TrackerItem.severity,
            func.count(),
            func.count().filter(overdue_clause(now)),
        )
        .where(*where)
        .group_by(TrackerItem.status, TrackerItem.program, TrackerItem.severity)
    ).all()
    by_status: Counter[str] = Counter()
    by_program: Counter[str] = Counter()
    by_severity: Counter[str] = Counter()
    overdue = open_count = 0
    for status, prog, severity, count, late in grouped:
        by_status[status.value] += count
        by_program[prog] += count
        by_severity[severity.value] += count
        overdue += late
        if status in OPEN_STATUSES:
            open_count += count
    first, resolution = _medians(session, where)
    return TrackerStats(
        as_of=now,
        total=sum(by_status.values()),
        open=open_count,
        overdue=overdue,
        by_status=dict(by_status),
        by_program=dict(by_program),
        by_severity=dict(by_severity),
        median_hours_to_first_response=first,
        median_hours_to_resolution=resolution,
    )


def _medians(session: Session, where: list) -> tuple[float | None, float | None]:
    if session.get_bind().dialect.name == "postgresql":

        def median(end: InstrumentedAttribute[dt.datetime | None]) -> ColumnElement[float]:
            seconds = func.extract("epoch", end - TrackerItem.created_at)
            return func.percentile_cont(0.5).within_group(seconds)

        row = session.execute(
            select(median(TrackerItem.first_response_at), median(TrackerItem.resolved_at)).where(*where)
        ).one()
        first, resolution = (None if v is None else round(float(v) / 3600, 2) for v in row)
        return first, resolution
    rows = session.execute(
        select(TrackerItem.created_at, TrackerItem.first_response_at, TrackerItem.resolved_at).where(*where)
    ).all()
    firsts = [(f - c).total_seconds() for c, f, _ in rows if f is not None]
    resolved = [(r - c).total_seconds() for c, _, r in rows if r is not None]
    return (
        round(statistics.median(firsts) / 3600, 2) if firsts else None,
        round(statistics.median(resolved) / 3600, 2) if resolved else None,
    )
