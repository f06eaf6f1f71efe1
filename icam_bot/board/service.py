"""The board service: read the enterprise view, drill into a program, list top risks, edit and import the plan.

Synchronous SQLAlchemy in short transactions (async callers use ``asyncio.to_thread``). Reading the board is
open to everyone (it shows counts, not item contents); risk details are for the PMO, ESC members and the
program's own staff; editing is for the PMO only. A refused or invalid edit raises and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from icam_bot.board import overview, risks
from icam_bot.board.audit import BoardRecorder
from icam_bot.board.errors import BoardValidationError, PlanError, UnknownMilestoneError
from icam_bot.board.models import BoardEvent, Milestone, ProgramStatus, Rag, WorkStatus, Workstream
from icam_bot.board.names import resolve_program
from icam_bot.board.plan import Plan, Planned, ProgramPlan
from icam_bot.board.results import (
    BoardEventView,
    EditResult,
    EnterpriseView,
    ImportSummary,
    MilestoneView,
    ProgramView,
    RiskView,
)
from icam_bot.board.validation import (
    Errors,
    MilestoneFields,
    MilestoneInput,
    WorkstreamFields,
    check_due,
    check_milestone,
    check_note,
    check_program_rag,
)
from icam_bot.db.base import utcnow
from icam_bot.db.session import make_session_factory
from icam_bot.knowledge.schema import Problem
from icam_bot.tracker.errors import PermissionDeniedError
from icam_bot.tracker.programs import ProgramsConfig
from icam_bot.tracker.service import database_guard

logger = logging.getLogger(__name__)

HISTORY_LIMIT = 50


@dataclass(frozen=True)
class ProgramEdit:
    """A PMO edit from the modal: the program's RAG and note, and optionally one milestone.

    ``rag`` None or ``"derived"`` clears the explicit RAG (the board derives it). ``milestone_id`` names the
    milestone being edited (it may be renamed); without it a milestone with a new name is created.
    """

    program: str
    rag: Any = None
    note: Any = None
    milestone: MilestoneInput | None = None
    milestone_id: int | None = None


def board_zone(config: ProgramsConfig) -> ZoneInfo:
    """The board's calendar: the time zone most programs work in (dates are due "today" there)."""
    zones = Counter(p.calendar.zone.key for p in config.programs.values())
    return ZoneInfo(zones.most_common(1)[0][0]) if zones else ZoneInfo("UTC")


class BoardService:
    """The program status board; methods that act take the Slack user id as ``actor``."""

    def __init__(
        self,
        sessions: sessionmaker[Session] | Engine,
        programs: ProgramsConfig,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.sessions = make_session_factory(sessions) if isinstance(sessions, Engine) else sessions
        self.programs = programs
        self.clock = clock
        self.zone = board_zone(programs)

    @contextmanager
    def _transaction(self, operation: str) -> Iterator[Session]:
        with database_guard(operation), self.sessions.begin() as session:
            yield session

    def today(self) -> dt.date:
        return self.clock().astimezone(self.zone).date()

    # -- who may do what --------------------------------------------------------------------------

    def resolve_program(self, text: str) -> str:
        """The slug ``text`` names (slug or display name); UnknownProgramError suggests the closest one."""
        return resolve_program(self.programs, text)

    def can_edit(self, actor: str) -> bool:
        return self.programs.is_pmo(actor)

    def require_editor(self, actor: str) -> None:
        if not self.can_edit(actor):
            raise PermissionDeniedError(
                "only ICAM PMO members can edit the program board (milestones and RAG); "
                "anyone can view it with `/icam status`"
            )

    def risk_programs(self, actor: str) -> tuple[str, ...] | None:
        """Programs whose risks ``actor`` may see: None for all (PMO, ESC), else the programs they staff."""
        if self.programs.is_pmo(actor) or actor in self.programs.esc_members:
            return None
        return self.programs.programs_staffed_by(actor)

    # -- reading ------------------------------------------------------------------------------------

    def overview(self) -> EnterpriseView:
        """The enterprise view: every program's RAG, next milestone, open items and risks, overdue counts."""
        with self._transaction("board overview") as session:
            return overview.enterprise_view(session, self.programs, self.clock(), self.today())

    def program(self, text: str, *, actor: str) -> ProgramView:
        """The drill-down for the program ``text`` names; risk details only for those who may see them."""
        slug = self.resolve_program(text)
        allowed = self.risk_programs(actor)
        with self._transaction("program view") as session:
            today = self.today()
            summary = overview.enterprise_view(session, self.programs, self.clock(), today).program(slug)
            shown = None
            if allowed is None or slug in allowed:
                shown = tuple(risks.top_risks(session, self.programs, programs=(slug,), limit=5))
            return overview.program_view(session, summary, today, shown)

    def top_risks(self, *, actor: str, limit: int = risks.DEFAULT_TOP) -> list[RiskView]:
        """The highest-scoring open risks ``actor`` may see; PermissionDeniedError for everyone else."""
        allowed = self.risk_programs(actor)
        if allowed == ():
            raise PermissionDeniedError(
                "the risk register is for ICAM PMO and ESC members and program staff (who see their own "
                "program's risks); the board's risk counts are on `/icam status`"
            )
        with self._transaction("top risks") as session:
            return risks.top_risks(session, self.programs, programs=allowed, limit=limit)

    def milestones(self, program: str) -> list[MilestoneView]:
        """Every milestone of a program (slug), by due date."""
        with self._transaction("milestones") as session:
            names = dict(session.execute(select(Workstream.id, Workstream.name)).all())
            rows = session.scalars(
                select(Milestone).where(Milestone.program == program).order_by(Milestone.due_date, Milestone.name)
            )
            return [MilestoneView.of(m, names.get(m.workstream_id)) for m in rows]

    def milestone_named(self, program: str, name: str) -> MilestoneView:
        """A program's milestone by name (any case, spacing squeezed); UnknownMilestoneError lists the names."""
        milestones = self.milestones(program)
        wanted = " ".join(name.split()).casefold()
        for milestone in milestones:
            if milestone.name.casefold() == wanted:
                return milestone
        known = ", ".join(repr(m.name) for m in milestones[:15]) or "none yet"
        raise UnknownMilestoneError(
            f"{program} has no milestone called {name.strip()[:80]!r} (its milestones: {known}); "
            "leave the name out to add a new one with the form"
        )

    def program_status(self, program: str) -> tuple[Rag | None, str | None]:
        """The PMO's explicit RAG (None: derived) and note for a program."""
        with self._transaction("program status") as session:
            row = session.get(ProgramStatus, program)
            return (row.rag, row.note) if row else (None, None)

    def history(self, program: str, *, limit: int = HISTORY_LIMIT) -> list[BoardEventView]:
        """A program's audit trail, newest first."""
        with self._transaction("board history") as session:
            rows = session.scalars(
                select(BoardEvent).where(BoardEvent.program == program).order_by(BoardEvent.id.desc()).limit(limit)
            )
            return [BoardEventView.of(e) for e in rows]

    # -- editing ------------------------------------------------------------------------------------

    def edit(self, change: ProgramEdit, *, actor: str) -> EditResult:
        """Apply a PMO edit (program RAG/note, optionally one milestone) in one transaction, audited.

        BoardValidationError maps field names (program, rag, note, name, due_date, owner_id, status,
        workstream, milestone_rag, milestone_note) to messages; nothing is written then.
        """
        self.require_editor(actor)
        errors = Errors()
        slug = self.resolve_program(change.program)
        rag = check_program_rag(change.rag, errors)
        note = check_note(change.note, errors)
        today = self.today()
        fields: MilestoneFields | None = None
        if change.milestone is not None:
            fields = check_milestone(change.milestone, _prefixed(errors), today)
        if errors:
            raise BoardValidationError(errors.errors)
        with self._transaction("board edit") as session:
            record = BoardRecorder(session, actor, self.clock())
            changed = self._set_program(session, record, slug, rag, note)
            milestone = None
            if fields is not None:
                existing = self._milestone_to_edit(session, slug, fields, change.milestone_id, errors)
                check_due(
                    fields.due_date if existing is None or existing.due_date != fields.due_date else None,
                    fields.status,
                    today,
                    errors,
                )
                if errors:
                    raise BoardValidationError(errors.errors)
                row, what = self._save_milestone(session, record, slug, fields, existing, today=today)
                changed.extend(what)
                milestone = MilestoneView.of(row, fields.workstream)
            return EditResult(slug, milestone, tuple(changed))

    def _milestone_to_edit(
        self, session: Session, slug: str, fields: MilestoneFields, milestone_id: int | None, errors: Errors
    ) -> Milestone | None:
        existing = session.get(Milestone, milestone_id) if milestone_id is not None else None
        if milestone_id is not None and existing is None:
            errors("name", "was removed meanwhile: reopen the form to add it again")
        same_name = session.scalars(
            select(Milestone).where(Milestone.program == slug, Milestone.name == fields.name)
        ).first()
        if same_name is not None and same_name is not existing:
            errors("name", f"{slug} already has a milestone called {fields.name!r}: edit that one instead")
        return existing

    def _set_program(
        self, session: Session, record: BoardRecorder, slug: str, rag: Rag | None, note: str | None
    ) -> list[str]:
        row = session.get(ProgramStatus, slug)
        if row is None:
            if rag is None and note is None:
                return []
            row = ProgramStatus(program=slug, created_at=record.now, updated_at=record.now, updated_by=record.actor)
            session.add(row)
        return [f"program_{name}" for name in record.set(row, {"rag": rag, "note": note})]

    def _workstream(self, session: Session, record: BoardRecorder, slug: str, name: str | None) -> int | None:
        """The id of the program's workstream ``name``, created (audited) when new."""
        if name is None:
            return None
        row = session.scalars(select(Workstream).where(Workstream.program == slug, Workstream.name == name)).first()
        if row is None:
            row = Workstream(
                program=slug,
                name=name,
                status=WorkStatus.IN_PROGRESS,
                rag=Rag.GREEN,
                created_at=record.now,
                updated_at=record.now,
                updated_by=record.actor,
            )
            session.add(row)
            record.created(row)
        return row.id

    def _save_milestone(
        self,
        session: Session,
        record: BoardRecorder,
        slug: str,
        fields: MilestoneFields,
        existing: Milestone | None,
        *,
        today: dt.date,
    ) -> tuple[Milestone, list[str]]:
        completed = fields.completed_on
        if fields.status is WorkStatus.DONE and completed is None:
            completed = existing.completed_on if existing is not None and existing.completed_on else today
        values = {
            "program": slug,
            "name": fields.name,
            "workstream_id": self._workstream(session, record, slug, fields.workstream),
            "owner_id": fields.owner_id,
            "due_date": fields.due_date,
            "status": fields.status,
            "rag": fields.rag,
            "note": fields.note,
            "completed_on": completed,
        }
        if existing is None:
            row = Milestone(**values, created_at=record.now, updated_at=record.now, updated_by=record.actor)
            session.add(row)
            record.created(row)
            return row, ["milestone_created"]
        return existing, [f"milestone_{name}" for name in record.set(existing, values)]

    # -- import / export ------------------------------------------------------------------------------

    def import_plan(self, plan: Plan, *, actor: str, replace: bool = False) -> ImportSummary:
        """Write a validated plan (upsert by program and name), all or nothing.

        A milestone new to the board, or whose due date changes, must not be due in the past unless it is
        done or cancelled (historical records import; open work must be dated ahead). With ``replace``,
        workstreams and milestones of the plan's programs that the plan does not list are removed, and a
        program without ``rag`` / ``note`` has them cleared. Every change is audited with the file named.
        """
        today = self.today()
        with self._transaction("plan import") as session:
            record = BoardRecorder(session, actor, self.clock(), detail=f"imported from {plan.source}")
            problems = self._check_dates(session, plan, today)
            if problems:
                raise PlanError(problems)
            counts: Counter[str] = Counter()
            for program in plan.programs:
                self._import_program(session, record, program, replace=replace, today=today, counts=counts)
            logger.info("imported %s: %s", plan.source, dict(counts))
            return ImportSummary(
                created=counts["created"],
                updated=counts["updated"],
                unchanged=counts["unchanged"],
                removed=counts["removed"],
                programs=tuple(p.slug for p in plan.programs),
            )

    def _check_dates(self, session: Session, plan: Plan, today: dt.date) -> list[Problem]:
        problems: list[Problem] = []
        for program in plan.programs:
            stored = dict(
                session.execute(
                    select(Milestone.name, Milestone.due_date).where(Milestone.program == program.slug)
                ).all()
            )
            for planned in program.milestones:
                fields = planned.fields
                if stored.get(fields.name) == fields.due_date:
                    continue

                def fail(field: str, message: str, entry: str = planned.entry) -> None:
                    problems.append(Problem(plan.source, entry, "due", message, item_kind="milestone"))

                check_due(fields.due_date, fields.status, today, fail)
        return problems

    def _import_program(
        self,
        session: Session,
        record: BoardRecorder,
        program: ProgramPlan,
        *,
        replace: bool,
        today: dt.date,
        counts: Counter[str],
    ) -> None:
        slug = program.slug
        status = session.get(ProgramStatus, slug)
        if program.has_rag or program.has_note or replace:
            rag = program.rag if program.has_rag or replace else (status.rag if status else None)
            note = program.note if program.has_note or replace else (status.note if status else None)
            self._set_program(session, record, slug, rag, note)
        workstreams = {w.name: w for w in session.scalars(select(Workstream).where(Workstream.program == slug))}
        for planned in program.workstreams:
            counts[self._import_workstream(session, record, slug, planned.fields, workstreams)] += 1
        milestones = {m.name: m for m in session.scalars(select(Milestone).where(Milestone.program == slug))}
        for planned in program.milestones:
            existing = milestones.get(planned.fields.name)
            _, changed = self._save_milestone(session, record, slug, planned.fields, existing, today=today)
            counts["created" if existing is None else "updated" if changed else "unchanged"] += 1
        if not replace:
            return
        keep_milestones = {p.fields.name for p in program.milestones}
        for name, row in milestones.items():
            if name not in keep_milestones:
                record.removed(row)
                session.delete(row)
                counts["removed"] += 1
        keep_workstreams = {p.fields.name for p in program.workstreams} | {
            p.fields.workstream for p in program.milestones if p.fields.workstream
        }
        for name, row in workstreams.items():
            if name not in keep_workstreams:
                record.removed(row)
                session.delete(row)
                counts["removed"] += 1

    def _import_workstream(
        self,
        session: Session,
        record: BoardRecorder,
        slug: str,
        fields: WorkstreamFields,
        known: dict[str, Workstream],
    ) -> str:
        values = {
            "owner_id": fields.owner_id,
            "due_date": fields.due_date,
            "status": fields.status,
            "rag": fields.rag,
            "note": fields.note,
        }
        row = known.get(fields.name)
        if row is None:
            row = Workstream(
                program=slug,
                name=fields.name,
                **values,
                created_at=record.now,
                updated_at=record.now,
                updated_by=record.actor,
            )
            session.add(row)
            record.created(row)
            known[fields.name] = row
            return "created"
        return "updated" if record.set(row, values) else "unchanged"

    def export_plan(self, source: str = "board") -> Plan:
        """The whole board as a Plan (programs with any board data, in routing order)."""
        with self._transaction("plan export") as session:
            statuses = {s.program: s for s in session.scalars(select(ProgramStatus))}
            streams = session.scalars(select(Workstream).order_by(Workstream.program, Workstream.name)).all()
            names = {w.id: w.name for w in streams}
            stones = session.scalars(
                select(Milestone).order_by(Milestone.program, Milestone.due_date, Milestone.name)
            ).all()
            plans = []
            for slug in self.programs.programs:
                status = statuses.get(slug)
                ws = tuple(
                    Planned(
                        f"{slug}/{w.name}", WorkstreamFields(w.name, w.owner_id, w.due_date, w.status, w.rag, w.note)
                    )
                    for w in streams
                    if w.program == slug
                )
                ms = tuple(
                    Planned(
                        f"{slug}/{m.name}",
                        MilestoneFields(
                            m.name,
                            m.due_date,
                            m.owner_id,
                            m.status,
                            m.rag,
                            m.note,
                            names.get(m.workstream_id) if m.workstream_id else None,
                            m.completed_on,
                        ),
                    )
                    for m in stones
                    if m.program == slug
                )
                if status is None and not ws and not ms:
                    continue
                plans.append(
                    ProgramPlan(
                        slug,
                        ws,
                        ms,
                        has_rag=status is not None and status.rag is not None,
                        rag=status.rag if status else None,
                        has_note=status is not None and status.note is not None,
                        note=status.note if status else None,
                    )
                )
            return Plan(source, tuple(plans))


def _prefixed(errors: Errors) -> Callable[[str, str], None]:
    """Milestone field errors under their own keys (``rag`` and ``note`` also name program fields)."""

    def fail(field: str, message: str) -> None:
        errors(f"milestone_{field}" if field in ("rag", "note") else field, message)

    return fail
