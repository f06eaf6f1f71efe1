"""Top risks across programs: open tracker items of kind risk, by likelihood x impact."""

from __future__ import annotations

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from icam_bot.board.results import RiskView
from icam_bot.programs.routing import ProgramsConfig
from icam_bot.tracker.models import OPEN_STATUSES, ItemKind, Severity, TrackerItem

DEFAULT_TOP = 10

#: Equal scores: the worse severity first.
_SEVERITY_RANK = case(
    (TrackerItem.severity == Severity.CRITICAL, 0),
    (TrackerItem.severity == Severity.HIGH, 1),
    (TrackerItem.severity == Severity.MEDIUM, 2),
    else_=3,
)


def top_risks(
    session: Session, config: ProgramsConfig, *, programs: tuple[str, ...] | None = None, limit: int = DEFAULT_TOP
) -> list[RiskView]:
    """The ``limit`` highest-scoring open risks (score desc, then severity, then oldest first).

    ``programs`` restricts to those programs (None: all). Unassigned risks are owned by the program's
    primary owner. Risks without likelihood or impact are not scored and so not listed.
    """
    score = TrackerItem.likelihood * TrackerItem.impact
    where = [
        TrackerItem.kind == ItemKind.RISK,
        TrackerItem.status.in_(OPEN_STATUSES),
        TrackerItem.likelihood.is_not(None),
        TrackerItem.impact.is_not(None),
    ]
    if programs is not None:
        where.append(TrackerItem.program.in_(programs))
    order = (score.desc(), _SEVERITY_RANK, TrackerItem.created_at, TrackerItem.id)
    rows = session.scalars(select(TrackerItem).where(*where).order_by(*order).limit(limit)).all()
    return [RiskView.of(item, config.program(item.program).primary_owner) for item in rows]
