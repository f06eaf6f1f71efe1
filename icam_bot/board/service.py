"""The board service: read the enterprise view, drill into a program, list top risks, edit and import the plan.

Synchronous SQLAlchemy in short transactions (async callers use ``asyncio.to_thread``). Reading the board is
open to everyone (it shows counts, not item contents); risk details are for the PMO, ESC members and the
program's own staff; editing is for the PMO only. A refused or invalid edit raises and writes nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from icam_bot.board.audit import BoardRecorder
from icam_bot.board.errors import BoardValidationError, PlanError
from icam_bot.board.plan import Plan
from icam_bot.board.reading import HISTORY_LIMIT, BoardReader, board_zone
from icam_bot.board.results import EditResult, ImportSummary, MilestoneView
from icam_bot.board.validation import (
    Errors,
    MilestoneFields,
    MilestoneInput,
    check_due,
    check_milestone,
    check_note,
    check_program_rag,
)
from icam_bot.board.writes import check_plan_dates, import_program, milestone_to_edit, save_milestone, set_program

__all__ = ["HISTORY_LIMIT", "BoardService", "ProgramEdit", "board_zone"]

logger = logging.getLogger(__name__)


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


class BoardService(BoardReader):
    """The program status board (reading: ``BoardReader``); methods that act take the Slack user id as ``actor``."""

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
            changed = set_program(session, record, slug, rag, note)
            milestone = None
            if fields is not None:
                existing = milestone_to_edit(session, slug, fields, change.milestone_id, errors)
                check_due(
                    fields.due_date if existing is None or existing.due_date != fields.due_date else None,
                    fields.status,
                    today,
                    errors,
                )
                if errors:
                    raise BoardValidationError(errors.errors)
                row, what = save_milestone(session, record, slug, fields, existing, today=today)
                changed.extend(what)
                milestone = MilestoneView.of(row, fields.workstream)
            return EditResult(slug, milestone, tuple(changed))

    # -- import ------------------------------------------------------------------------------------

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
            problems = check_plan_dates(session, plan, today)
            if problems:
                raise PlanError(problems)
            counts: Counter[str] = Counter()
            for program in plan.programs:
                import_program(session, record, program, replace=replace, today=today, counts=counts)
            logger.info("imported %s: %s", plan.source, dict(counts))
            return ImportSummary(
                created=counts["created"],
                updated=counts["updated"],
                unchanged=counts["unchanged"],
                removed=counts["removed"],
                programs=tuple(p.slug for p in plan.programs),
            )


def _prefixed(errors: Errors) -> Callable[[str, str], None]:
    """Milestone field errors under their own keys (``rag`` and ``note`` also name program fields)."""

    def fail(field: str, message: str) -> None:
        errors(f"milestone_{field}" if field in ("rag", "note") else field, message)

    return fail
