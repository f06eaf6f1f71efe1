"""Plain, detached values the board hands back: milestones, program summaries, the enterprise view, risks."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from icam_bot.board.models import OPEN_WORK, Milestone, Rag, WorkStatus, Workstream
from icam_bot.db.audit import AuditEventView
from icam_bot.tracker.models import Severity, Status, TrackerItem


class RagSource(enum.StrEnum):
    """Where a program's RAG comes from: set by the PMO, derived from its work, or not rated yet."""

    PMO = "pmo"
    DERIVED = "derived"
    NONE = "none"


@dataclass(frozen=True)
class MilestoneView:
    id: int
    program: str
    name: str
    workstream: str | None
    owner_id: str | None
    due_date: dt.date
    status: WorkStatus
    rag: Rag
    note: str | None
    completed_on: dt.date | None
    updated_at: dt.datetime
    updated_by: str

    @classmethod
    def of(cls, milestone: Milestone, workstream: str | None) -> MilestoneView:
        return cls(
            milestone.id,
            milestone.program,
            milestone.name,
            workstream,
            milestone.owner_id,
            milestone.due_date,
            milestone.status,
            milestone.rag,
            milestone.note,
            milestone.completed_on,
            milestone.updated_at,
            milestone.updated_by,
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_WORK

    def is_overdue(self, today: dt.date) -> bool:
        return self.is_open and self.due_date < today


@dataclass(frozen=True)
class WorkstreamView:
    id: int
    program: str
    name: str
    owner_id: str | None
    due_date: dt.date | None
    status: WorkStatus
    rag: Rag
    note: str | None

    @classmethod
    def of(cls, workstream: Workstream) -> WorkstreamView:
        return cls(
            workstream.id,
            workstream.program,
            workstream.name,
            workstream.owner_id,
            workstream.due_date,
            workstream.status,
            workstream.rag,
            workstream.note,
        )


@dataclass(frozen=True)
class BoardEventView(AuditEventView):
    """One audited change: who, what, before -> after, when."""

    id: int
    program: str
    target: str
    target_name: str
    actor_id: str
    action: str
    field: str | None
    before: str | None
    after: str | None
    detail: str | None
    created_at: dt.datetime


@dataclass(frozen=True)
class RiskView:
    """An open tracker risk, scored likelihood x impact, with who owns it and who owns the mitigation."""

    id: int
    program: str
    title: str
    severity: Severity
    status: Status
    likelihood: int
    impact: int
    owner_id: str
    mitigation_owner_id: str | None
    permalink: str | None

    @property
    def ref(self) -> str:
        return f"ICAM-{self.id}"

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @classmethod
    def of(cls, item: TrackerItem, owner_id: str) -> RiskView:
        return cls(
            item.id,
            item.program,
            item.title,
            item.severity,
            item.status,
            item.likelihood or 0,
            item.impact or 0,
            item.assignee_id or owner_id,
            item.mitigation_owner_id,
            item.permalink,
        )


def _zero() -> dict[Severity, int]:
    return dict.fromkeys(Severity, 0)


@dataclass(frozen=True)
class ProgramSummary:
    """One program's line of the enterprise view."""

    slug: str
    name: str
    rag: Rag | None
    rag_source: RagSource
    note: str | None
    next_milestone: MilestoneView | None
    open_milestones: int = 0
    overdue_milestones: int = 0
    overdue_items: int = 0
    open_items: dict[Severity, int] = field(default_factory=_zero)
    open_risks: dict[Severity, int] = field(default_factory=_zero)

    @property
    def overdue(self) -> int:
        """Overdue tracker items plus overdue milestones."""
        return self.overdue_items + self.overdue_milestones


@dataclass(frozen=True)
class EnterpriseView:
    """Every program's RAG, next milestone, open items and risks by severity, overdue counts."""

    as_of: dt.datetime
    today: dt.date
    programs: tuple[ProgramSummary, ...]

    def program(self, slug: str) -> ProgramSummary:
        return next(p for p in self.programs if p.slug == slug)


@dataclass(frozen=True)
class ProgramView:
    """The drill-down: the summary, its workstreams and milestones, top risks and recent changes.

    ``risks`` is None when the viewer may not see risk details (only counts are public on the board).
    """

    today: dt.date
    summary: ProgramSummary
    workstreams: tuple[WorkstreamView, ...]
    milestones: tuple[MilestoneView, ...]
    risks: tuple[RiskView, ...] | None
    changes: tuple[BoardEventView, ...]


@dataclass(frozen=True)
class EditResult:
    """What one edit changed (field names per target); empty when the values were already so."""

    program: str
    milestone: MilestoneView | None
    changed: tuple[str, ...]


@dataclass(frozen=True)
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    programs: tuple[str, ...] = ()
