"""The board's read side: the enterprise view, a program's drill-down, top risks, milestones, history, export."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import select

from icam_bot.board import overview, risks
from icam_bot.board.errors import UnknownMilestoneError
from icam_bot.board.models import BoardEvent, Milestone, ProgramStatus, Rag, Workstream
from icam_bot.board.names import resolve_program
from icam_bot.board.plan import Plan, Planned, ProgramPlan
from icam_bot.board.results import BoardEventView, EnterpriseView, MilestoneView, ProgramView, RiskView
from icam_bot.board.validation import MilestoneFields, WorkstreamFields
from icam_bot.programs.routing import ProgramsConfig
from icam_bot.records.access import ALL_PROGRAMS, AccessAction, AccessNote, Outcome
from icam_bot.tracker.errors import PermissionDeniedError
from icam_bot.tracker.transactions import TransactionalService

HISTORY_LIMIT = 50


def board_zone(config: ProgramsConfig) -> ZoneInfo:
    """The board's calendar: the time zone most programs work in (dates are due "today" there)."""
    zones = Counter(p.calendar.zone.key for p in config.programs.values())
    return ZoneInfo(zones.most_common(1)[0][0]) if zones else ZoneInfo("UTC")


class BoardReader(TransactionalService):
    """Reading the program status board, and who may do what on it."""

    @cached_property
    def zone(self) -> ZoneInfo:
        """The board's calendar (``board_zone``)."""
        return board_zone(self.programs)

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
                note = AccessNote(AccessAction.RISKS, actor, slug, detail=f"program view: {len(shown)} risk(s)")
                session.add(note.event(Outcome.ALLOWED, self.clock()))
            return overview.program_view(session, summary, today, shown)

    def top_risks(self, *, actor: str, limit: int = risks.DEFAULT_TOP) -> list[RiskView]:
        """The highest-scoring open risks ``actor`` may see; PermissionDeniedError for everyone else."""
        allowed = self.risk_programs(actor)
        note = AccessNote(AccessAction.RISKS, actor, ", ".join(allowed or ()) or ALL_PROGRAMS)
        with self._audited(note, "top risks") as session:
            if allowed == ():
                raise PermissionDeniedError(
                    "the risk register is for ICAM PMO and ESC members and program staff (who see their own "
                    "program's risks); the board's risk counts are on `/icam status`"
                )
            found = risks.top_risks(session, self.programs, programs=allowed, limit=limit)
            note.detail = f"{len(found)} risk(s)"
            return found

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

    # -- export ------------------------------------------------------------------------------------

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
