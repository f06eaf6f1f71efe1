"""Append-only audit trail: one event per change (who, what, before -> after, when)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy.orm import Session

from icam_bot.db.audit import audit_text
from icam_bot.tracker.models import TrackerEvent, TrackerItem

logger = logging.getLogger(__name__)

SYSTEM_ACTOR = "icam-bot"


class Recorder:
    """Applies changes to one item and writes an audit event for each, in the caller's transaction."""

    def __init__(self, session: Session, item: TrackerItem, actor: str, now: dt.datetime) -> None:
        self.session = session
        self.item = item
        self.actor = actor
        self.now = now
        self.changed: list[str] = []

    def event(
        self, action: str, *, field: str | None = None, before: Any = None, after: Any = None, detail: str | None = None
    ) -> None:
        self.session.add(
            TrackerEvent(
                item_id=self.item.id,
                actor_id=self.actor,
                action=action,
                field=field,
                before=audit_text(before),
                after=audit_text(after),
                detail=detail,
                created_at=self.now,
            )
        )

    def set(self, field: str, value: Any, *, action: str = "changed", detail: str | None = None) -> bool:
        """Set ``item.field`` and record it, if the value differs; returns whether it changed."""
        before = getattr(self.item, field)
        if before == value:
            return False
        setattr(self.item, field, value)
        self.event(action, field=field, before=before, after=value, detail=detail)
        self.changed.append(field)
        self.item.updated_at = self.now
        return True
