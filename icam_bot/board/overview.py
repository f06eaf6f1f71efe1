"""The enterprise view and the per-program drill-down, from milestones, workstreams and tracker items.

Every per-program number comes from a GROUP BY (the tracker may hold 100,000 items); only milestones and
workstreams, which number in the hundreds, are loaded row by row, and only for the drill-down.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from icam_bot.board.models import OPEN_WORK, BoardEvent, Milestone, ProgramStatus, Rag, Workstream
from icam_bot.board.results import (
    BoardEventView,
    EnterpriseView,
    MilestoneView,
    ProgramSummary,
    ProgramView,
    RagSource,
    RiskView,
    WorkstreamView,
)
from icam_bot.programs.routing import ProgramsConfig
from icam_bot.tracker.models import OPEN_STATUSES, ItemKind, Severity, TrackerItem
from icam_bot.tracker.stats import overdue_clause

RECENT_CHANGES = 5


def derive_rag(worst: Rag | None, overdue_milestones: int) -> Rag | None:
    """The derived program RAG: the worst RAG of open milestones and workstreams; an overdue milestone is red."""
    if overdue_milestones:
        return Rag.RED
    return worst


def enterprise_view(session: Session, config: ProgramsConfig, now: dt.datetime, today: dt.date) -> EnterpriseView:
    """Every program's RAG, next milestone, open items and risks by severity and overdue counts."""
    explicit = {row.program: row for row in session.scalars(select(ProgramStatus))}
    worst = _worst_open_rag(session)
    open_milestones = dict(
        session.execute(
            select(Milestone.program, func.count()).where(Milestone.status.in_(OPEN_WORK)).group_by(Milestone.program)
        ).all()
    )
    late_milestones = dict(
        session.execute(
            select(Milestone.program, func.count())
            .where(Milestone.status.in_(OPEN_WORK), Milestone.due_date < today)
            .group_by(Milestone.program)
        ).all()
    )
    next_due = _next_milestones(session, today)
    items: dict[str, dict[Severity, int]] = defaultdict(lambda: dict.fromkeys(Severity, 0))
    risks: dict[str, dict[Severity, int]] = defaultdict(lambda: dict.fromkeys(Severity, 0))
    counts = session.execute(
        select(TrackerItem.program, TrackerItem.kind, TrackerItem.severity, func.count())
        .where(TrackerItem.status.in_(OPEN_STATUSES))
        .group_by(TrackerItem.program, TrackerItem.kind, TrackerItem.severity)
    ).all()
    for program, kind, severity, count in counts:
        (risks if kind is ItemKind.RISK else items)[program][severity] += count
    late_items = dict(
        session.execute(
            select(TrackerItem.program, func.count()).where(overdue_clause(now)).group_by(TrackerItem.program)
        ).all()
    )
    summaries = []
    for slug, routing in config.programs.items():
        status = explicit.get(slug)
        late = late_milestones.get(slug, 0)
        derived = derive_rag(worst.get(slug), late)
        if status is not None and status.rag is not None:
            rag, source = status.rag, RagSource.PMO
        else:
            rag, source = derived, RagSource.DERIVED if derived else RagSource.NONE
        summaries.append(
            ProgramSummary(
                slug=slug,
                name=routing.name,
                rag=rag,
                rag_source=source,
                note=status.note if status else None,
                next_milestone=next_due.get(slug),
                open_milestones=open_milestones.get(slug, 0),
                overdue_milestones=late,
                overdue_items=late_items.get(slug, 0),
                open_items=dict(items[slug]),
                open_risks=dict(risks[slug]),
            )
        )
    return EnterpriseView(as_of=now, today=today, programs=tuple(summaries))


def _worst_open_rag(session: Session) -> dict[str, Rag]:
    """Per program, the worst RAG among open milestones and open workstreams."""
    worst: dict[str, Rag] = {}
    for table in (Milestone, Workstream):
        rows = session.execute(
            select(table.program, table.rag).where(table.status.in_(OPEN_WORK)).group_by(table.program, table.rag)
        ).all()
        for program, rag in rows:
            if program not in worst or rag.rank > worst[program].rank:
                worst[program] = rag
    return worst


def _next_milestones(session: Session, today: dt.date) -> dict[str, MilestoneView]:
    """Per program, the open milestone due soonest on or after ``today`` (ties: by name)."""
    soonest = (
        select(Milestone.program, func.min(Milestone.due_date).label("due"))
        .where(Milestone.status.in_(OPEN_WORK), Milestone.due_date >= today)
        .group_by(Milestone.program)
        .subquery()
    )
    rows = session.execute(
        select(Milestone, Workstream.name)
        .join(soonest, (Milestone.program == soonest.c.program) & (Milestone.due_date == soonest.c.due))
        .outerjoin(Workstream, Milestone.workstream_id == Workstream.id)
        .where(Milestone.status.in_(OPEN_WORK))
        .order_by(Milestone.program, Milestone.name)
    ).all()
    found: dict[str, MilestoneView] = {}
    for milestone, workstream in rows:
        found.setdefault(milestone.program, MilestoneView.of(milestone, workstream))
    return found


def program_view(
    session: Session,
    summary: ProgramSummary,
    today: dt.date,
    risks: tuple[RiskView, ...] | None,
) -> ProgramView:
    """The drill-down of one program: open milestones by due date, then finished ones, most recent first."""
    workstreams = session.scalars(
        select(Workstream).where(Workstream.program == summary.slug).order_by(Workstream.name)
    ).all()
    names = {w.id: w.name for w in workstreams}
    milestones = [
        MilestoneView.of(m, names.get(m.workstream_id) if m.workstream_id else None)
        for m in session.scalars(select(Milestone).where(Milestone.program == summary.slug))
    ]
    open_first = sorted((m for m in milestones if m.is_open), key=lambda m: (m.due_date, m.name))
    finished = sorted((m for m in milestones if not m.is_open), key=lambda m: (m.due_date, m.name), reverse=True)
    changes = session.scalars(
        select(BoardEvent)
        .where(BoardEvent.program == summary.slug)
        .order_by(BoardEvent.id.desc())
        .limit(RECENT_CHANGES)
    ).all()
    return ProgramView(
        today=today,
        summary=summary,
        workstreams=tuple(WorkstreamView.of(w) for w in workstreams),
        milestones=(*open_first, *finished),
        risks=risks,
        changes=tuple(BoardEventView.of(e) for e in changes),
    )
