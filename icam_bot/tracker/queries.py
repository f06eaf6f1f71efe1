"""The tracker's read side: look up an item and its history, list items, queues and statistics."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from icam_bot.knowledge.model import PROGRAMS
from icam_bot.records.access import ALL_PROGRAMS, AccessAction, AccessNote
from icam_bot.tracker.errors import ItemNotFoundError, ItemValidationError
from icam_bot.tracker.models import OPEN_STATUSES, TrackerComment, TrackerEvent, TrackerItem
from icam_bot.tracker.permissions import Action, require, require_queue_access, require_stats_access
from icam_bot.tracker.results import CommentView, EventView, ItemView
from icam_bot.tracker.stats import TrackerStats, compute_stats
from icam_bot.tracker.submission import parse_item_id
from icam_bot.tracker.transactions import TransactionalService

DEFAULT_LIST_LIMIT = 50


class TrackerQueries(TransactionalService):
    """Reading the tracker; every method takes the acting Slack user id as ``actor`` where access depends on it."""

    def _load(self, session: Session, ref: str | int, *, lock: bool = True) -> TrackerItem:
        item_id = parse_item_id(ref)
        query = select(TrackerItem).where(TrackerItem.id == item_id)
        if lock:
            query = query.with_for_update()
        item = session.scalars(query).one_or_none()
        if item is None:
            raise ItemNotFoundError(f"there is no item ICAM-{item_id}")
        return item

    def _view_note(self, ref: str | int, actor: str, detail: str | None = None) -> AccessNote:
        return AccessNote(AccessAction.ITEM_VIEW, actor, f"ICAM-{parse_item_id(ref)}", detail=detail)

    def get(self, ref: str | int, *, actor: str) -> ItemView:
        """Status lookup: the item, if ``actor`` may see it (recorded in the access log either way)."""
        note = self._view_note(ref, actor)
        with self._audited(note, "status lookup") as session:
            item = self._load(session, ref, lock=False)
            note.item_id = item.id
            require(self.programs, actor, Action.VIEW, item)
            return ItemView.of(item)

    def history(self, ref: str | int, *, actor: str) -> tuple[list[EventView], list[CommentView]]:
        """The audit trail and the comments of an item, oldest first (the read is recorded)."""
        note = self._view_note(ref, actor, "history")
        with self._audited(note, "history lookup") as session:
            item = self._load(session, ref, lock=False)
            note.item_id = item.id
            require(self.programs, actor, Action.VIEW, item)
            events = session.scalars(
                select(TrackerEvent).where(TrackerEvent.item_id == item.id).order_by(TrackerEvent.id)
            )
            comments = session.scalars(
                select(TrackerComment).where(TrackerComment.item_id == item.id).order_by(TrackerComment.id)
            )
            return [EventView.of(e) for e in events], [CommentView.of(c) for c in comments]

    def mine(self, *, actor: str, include_closed: bool = False, limit: int = DEFAULT_LIST_LIMIT) -> list[ItemView]:
        """Items the actor raised or is assigned, newest first."""
        query = select(TrackerItem).where(or_(TrackerItem.reporter_id == actor, TrackerItem.assignee_id == actor))
        if not include_closed:
            query = query.where(TrackerItem.status.in_(OPEN_STATUSES))
        with self._transaction("list of your items") as session:
            items = session.scalars(query.order_by(TrackerItem.created_at.desc(), TrackerItem.id.desc()).limit(limit))
            return [ItemView.of(i) for i in items]

    def queue(self, *, actor: str, program: str | None = None, limit: int = DEFAULT_LIST_LIMIT) -> list[ItemView]:
        """Open items, most urgent (earliest resolution due) first; PMO for all, owners for their program."""
        if program is not None and program not in PROGRAMS:
            raise ItemValidationError({"program": f"must be one of {', '.join(PROGRAMS)}"})
        query = select(TrackerItem).where(TrackerItem.status.in_(OPEN_STATUSES))
        if program is not None:
            query = query.where(TrackerItem.program == program)
        query = query.order_by(TrackerItem.resolution_due_at, TrackerItem.id).limit(limit)
        note = AccessNote(AccessAction.QUEUE, actor, program or ALL_PROGRAMS)
        with self._audited(note, "queue") as session:
            require_queue_access(self.programs, actor, program)
            items = [ItemView.of(i) for i in session.scalars(query)]
            note.detail = f"{len(items)} item(s)"
            return items

    def stats(self, *, actor: str, program: str | None = None) -> TrackerStats:
        """Counts by status / program / severity, overdue, median hours to first response and resolution."""
        with self._audited(AccessNote(AccessAction.STATS, actor, program or ALL_PROGRAMS), "statistics") as session:
            require_stats_access(self.programs, actor)
            return compute_stats(session, self.clock(), program=program)
