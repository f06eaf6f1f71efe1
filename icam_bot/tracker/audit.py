"""Append-only audit trail: one event per change (who, what, before -> after, when)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy.orm import Session

from icam_bot.db.audit import audit_text
from icam_bot.tracker.models import TrackerComment, TrackerEvent, TrackerItem

logger = logging.getLogger(__name__)

SYSTEM_ACTOR = "icam-bot"
#: Item fields holding text people type: their events never copy it (audit rows are immutable, so copied text
#: could never be redacted); the text stays on the item and in the comment the event points at.
TEXT_FIELDS = frozenset({"title", "description", "resolution"})
#: What an event shows for a text field's value when no comment is named.
TEXT_KEPT = "(text, kept with the item)"


def escalated_by(actor: str, recorded: str) -> str:
    """The ``detail`` of a person's escalation event: ``by <@actor>: <recorded>``, as every such event has stored it.

    The one piece of Slack markup the core writes, kept because audit rows are immutable and every reader (the
    CLI's audit and report, the App Home, the digest, Slack messages) shows the stored text as is: rows written
    in another form would read differently. Notifications never carry it: they name the actor apart
    (``Notification.actor``) and the Slack side renders the mention."""
    return f"by <@{actor}>: {recorded}"


def _shown(field: str, value: Any) -> Any:
    return TEXT_KEPT if field in TEXT_FIELDS and value is not None else value


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

    def note(self, label: str, text: str) -> int:
        """Keep text the actor typed for this action (a reason, a note, a resolution) as their comment on the
        item, ``<label>: <text>``; returns its id for the event to point at. Comments are item content: the
        retention job redacts them, while the event that points at them is never changed."""
        comment = TrackerComment(
            item_id=self.item.id, author_id=self.actor, body=f"{label}: {text}", created_at=self.now
        )
        self.session.add(comment)
        self.session.flush()
        return comment.id

    def set(
        self,
        field: str,
        value: Any,
        *,
        action: str = "changed",
        detail: str | None = None,
        shown_after: str | None = None,
    ) -> bool:
        """Set ``item.field`` and record it, if the value differs; returns whether it changed. Text fields are
        recorded as ``shown_after`` (e.g. ``comment 12``) or a placeholder, never as the text."""
        before = getattr(self.item, field)
        if before == value:
            return False
        setattr(self.item, field, value)
        after = shown_after if shown_after is not None and value is not None else _shown(field, value)
        self.event(action, field=field, before=_shown(field, before), after=after, detail=detail)
        self.changed.append(field)
        self.item.updated_at = self.now
        return True
