"""Writing board rows in the caller's transaction, each change audited: program RAG/note, workstreams,
milestones, and a whole program from an imported plan."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from icam_bot.board.audit import BoardRecorder
from icam_bot.board.models import Milestone, ProgramStatus, Rag, WorkStatus, Workstream
from icam_bot.board.plan import Plan, ProgramPlan
from icam_bot.board.validation import Errors, MilestoneFields, WorkstreamFields, check_due
from icam_bot.knowledge.schema import Problem


def check_plan_dates(session: Session, plan: Plan, today: dt.date) -> list[Problem]:
    """Planned milestones new to the board, or re-dated, that may not be due in the past (``check_due``)."""
    problems: list[Problem] = []
    for program in plan.programs:
        stored = dict(
            session.execute(select(Milestone.name, Milestone.due_date).where(Milestone.program == program.slug)).all()
        )
        for planned in program.milestones:
            fields = planned.fields
            if stored.get(fields.name) == fields.due_date:
                continue

            def fail(field: str, message: str, entry: str = planned.entry) -> None:
                problems.append(Problem(plan.source, entry, "due", message, item_kind="milestone"))

            check_due(fields.due_date, fields.status, today, fail)
    return problems


def milestone_to_edit(
    session: Session, slug: str, fields: MilestoneFields, milestone_id: int | None, errors: Errors
) -> Milestone | None:
    """The milestone an edit names (``milestone_id``); errors if it is gone or another one has the new name."""
    existing = session.get(Milestone, milestone_id) if milestone_id is not None else None
    if milestone_id is not None and existing is None:
        errors("name", "was removed meanwhile: reopen the form to add it again")
    same_name = session.scalars(
        select(Milestone).where(Milestone.program == slug, Milestone.name == fields.name)
    ).first()
    if same_name is not None and same_name is not existing:
        errors("name", f"{slug} already has a milestone called {fields.name!r}: edit that one instead")
    return existing


def set_program(session: Session, record: BoardRecorder, slug: str, rag: Rag | None, note: str | None) -> list[str]:
    """Set a program's explicit RAG and note (the row is created when first needed); returns the changed fields."""
    row = session.get(ProgramStatus, slug)
    if row is None:
        if rag is None and note is None:
            return []
        row = ProgramStatus(program=slug, created_at=record.now, updated_at=record.now, updated_by=record.actor)
        session.add(row)
    return [f"program_{name}" for name in record.set(row, {"rag": rag, "note": note})]


def workstream_id(session: Session, record: BoardRecorder, slug: str, name: str | None) -> int | None:
    """The id of the program's workstream ``name``, created (audited) when new."""
    if name is None:
        return None
    row = session.scalars(select(Workstream).where(Workstream.program == slug, Workstream.name == name)).first()
    if row is None:
        row = _new_workstream(session, record, slug, name, status=WorkStatus.IN_PROGRESS, rag=Rag.GREEN)
    return row.id


def _new_workstream(session: Session, record: BoardRecorder, slug: str, name: str, **values: object) -> Workstream:
    """Add a workstream (audited as created, so it has its id)."""
    row = Workstream(
        program=slug, name=name, **values, created_at=record.now, updated_at=record.now, updated_by=record.actor
    )
    session.add(row)
    record.created(row)
    return row


def save_milestone(
    session: Session,
    record: BoardRecorder,
    slug: str,
    fields: MilestoneFields,
    existing: Milestone | None,
    *,
    today: dt.date,
) -> tuple[Milestone, list[str]]:
    """Create (``existing`` None) or update a milestone from validated fields; returns it and what changed."""
    completed = fields.completed_on
    if fields.status is WorkStatus.DONE and completed is None:
        completed = existing.completed_on if existing is not None and existing.completed_on else today
    values = {
        "program": slug,
        "name": fields.name,
        "workstream_id": workstream_id(session, record, slug, fields.workstream),
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


def import_program(
    session: Session,
    record: BoardRecorder,
    program: ProgramPlan,
    *,
    replace: bool,
    today: dt.date,
    counts: Counter[str],
) -> None:
    """Upsert one program of a plan (``counts`` created / updated / unchanged / removed); ``replace`` removes
    the workstreams and milestones the plan does not list."""
    slug = program.slug
    status = session.get(ProgramStatus, slug)
    if program.has_rag or program.has_note or replace:
        rag = program.rag if program.has_rag or replace else (status.rag if status else None)
        note = program.note if program.has_note or replace else (status.note if status else None)
        set_program(session, record, slug, rag, note)
    workstreams = {w.name: w for w in session.scalars(select(Workstream).where(Workstream.program == slug))}
    for planned in program.workstreams:
        counts[import_workstream(session, record, slug, planned.fields, workstreams)] += 1
    milestones = {m.name: m for m in session.scalars(select(Milestone).where(Milestone.program == slug))}
    for planned in program.milestones:
        existing = milestones.get(planned.fields.name)
        _, changed = save_milestone(session, record, slug, planned.fields, existing, today=today)
        counts["created" if existing is None else "updated" if changed else "unchanged"] += 1
    if not replace:
        return
    keep_milestones = {p.fields.name for p in program.milestones}
    keep_workstreams = {p.fields.name for p in program.workstreams} | {
        p.fields.workstream for p in program.milestones if p.fields.workstream
    }
    for rows, keep in ((milestones, keep_milestones), (workstreams, keep_workstreams)):
        for name, row in rows.items():
            if name not in keep:
                record.removed(row)
                session.delete(row)
                counts["removed"] += 1


def import_workstream(
    session: Session,
    record: BoardRecorder,
    slug: str,
    fields: WorkstreamFields,
    known: dict[str, Workstream],
) -> str:
    """Upsert a planned workstream (``known`` by name, updated); returns created, updated or unchanged."""
    values = {
        "owner_id": fields.owner_id,
        "due_date": fields.due_date,
        "status": fields.status,
        "rag": fields.rag,
        "note": fields.note,
    }
    row = known.get(fields.name)
    if row is None:
        known[fields.name] = _new_workstream(session, record, slug, fields.name, **values)
        return "created"
    return "updated" if record.set(row, values) else "unchanged"
