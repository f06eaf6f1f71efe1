"""Append-only board audit: one BoardEvent per change (who, what, before -> after, when)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from icam_bot.board.models import BoardEvent, Milestone, ProgramStatus, Workstream
from icam_bot.db.audit import audit_text

Target = Milestone | Workstream | ProgramStatus


def summary(target: Milestone | Workstream) -> str:
    """The values a new milestone or workstream starts with (the "after" of its creation event)."""
    due = audit_text(target.due_date) or "no due date"
    return f"due {due}, status {audit_text(target.status)}, RAG {audit_text(target.rag)}"


def _describe(target: Target) -> tuple[str, int | None, str]:
    if isinstance(target, Milestone):
        return "milestone", target.id, target.name
    if isinstance(target, Workstream):
        return "workstream", target.id, target.name
    return "program", None, target.program


class BoardRecorder:
    """Applies changes to board rows and records each, in the caller's transaction."""

    def __init__(self, session: Session, actor: str, now: dt.datetime, detail: str | None = None) -> None:
        self.session = session
        self.actor = actor
        self.now = now
        self.detail = detail

    def event(
        self, target: Target, action: str, *, field: str | None = None, before: Any = None, after: Any = None
    ) -> None:
        kind, target_id, name = _describe(target)
        self.session.add(
            BoardEvent(
                program=target.program,
                target=kind,
                target_id=target_id,
                target_name=name,
                actor_id=self.actor,
                action=action,
                field=field,
                before=audit_text(before),
                after=audit_text(after),
                detail=self.detail,
                created_at=self.now,
            )
        )

    def created(self, target: Milestone | Workstream) -> None:
        """Record a new row (flushed first, so it has its id) with the values it starts with."""
        self.session.flush()
        self.event(target, "created", after=summary(target))

    def removed(self, target: Target) -> None:
        self.event(target, "removed")

    def set(self, target: Target, values: dict[str, Any]) -> list[str]:
        """Set each field that differs, recording before -> after; returns the changed field names."""
        changed = []
        for field, value in values.items():
            before = getattr(target, field)
            if before == value:
                continue
            setattr(target, field, value)
            self.event(target, "changed", field=field, before=before, after=value)
            changed.append(field)
        if changed:
            target.updated_at = self.now
            target.updated_by = self.actor
        return changed
