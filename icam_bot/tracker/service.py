"""The tracker service: every flow the Slack listeners, the console and the CLI drive.

Synchronous SQLAlchemy; async callers use ``asyncio.to_thread``. Each method runs in one short transaction:
a refused or invalid action raises a TrackerError and writes nothing. Methods return detached views and
the notifications the caller must deliver (who acted as ids, never as mentions: the Slack side renders those).
The one exception is stored audit text, for compatibility: see audit.escalated_by.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from icam_bot.programs.calendar import add_business_hours
from icam_bot.programs.routing import LEVEL_NAMES, USER_RE, ProgramRouting
from icam_bot.textclean import clean_text
from icam_bot.tracker import escalation, idempotency
from icam_bot.tracker.audit import Recorder
from icam_bot.tracker.errors import InvalidTransitionError, ItemValidationError
from icam_bot.tracker.models import Severity, Status, TrackerComment, TrackerItem
from icam_bot.tracker.notes import enqueue_notes, enqueue_triage_edits
from icam_bot.tracker.permissions import Action, require, roles
from icam_bot.tracker.queries import DEFAULT_LIST_LIMIT, TrackerQueries
from icam_bot.tracker.results import ActionResult, CreateResult, ItemView, NotificationKind, Outbox
from icam_bot.tracker.submission import (
    ITEM_ID_RE,
    MAX_DESCRIPTION_CHARS,
    MAX_ITEM_ID,
    NewItem,
    parse_item_id,
    validate_submission,
)
from icam_bot.tracker.transactions import database_guard
from icam_bot.webhooks.events import enqueue_item_event

__all__ = [
    "DEFAULT_LIST_LIMIT",
    "ITEM_ID_RE",
    "MAX_COMMENT_CHARS",
    "MAX_DESCRIPTION_CHARS",
    "MAX_ITEM_ID",
    "MAX_RESOLUTION_CHARS",
    "WORK_STATUSES",
    "NewItem",
    "TrackerService",
    "database_guard",
    "parse_item_id",
]

logger = logging.getLogger(__name__)

#: More to write in an action's transaction, once the item changed: (session, the item's new state).
EditHook = Callable[[Session, ItemView], None]

MAX_COMMENT_CHARS = 4000
MAX_RESOLUTION_CHARS = 4000
#: Statuses ``set_status`` moves between; resolve, close and reopen have their own methods.
WORK_STATUSES = (Status.TRIAGED, Status.IN_PROGRESS, Status.WAITING)


class TrackerService(TrackerQueries):
    """ICAM PMO tracker operations (reading: ``TrackerQueries``); methods take the acting Slack user id as ``actor``."""

    # -- plumbing ------------------------------------------------------------------------------

    def _first_response(self, rec: Recorder) -> None:
        """The first action by someone other than the reporter is the first response."""
        item = rec.item
        if item.first_response_at is None and rec.actor != item.reporter_id:
            rec.set("first_response_at", rec.now, action="first_response")
            item.remind_at = None

    def _set_status(
        self,
        rec: Recorder,
        status: Status,
        outbox: Outbox,
        text: str | None = None,
        label: str = "",
        *,
        recorded: str | None = None,
    ) -> None:
        """Change the status; the reporter is told who did it and what they wrote (``text``, kept apart). The event
        records ``recorded`` (which points at the comment keeping a person's text) or, when None, the label."""
        before = rec.item.status
        audit = recorded if recorded is not None else (label or None)
        if rec.set("status", status, action="status_changed", detail=audit):
            change = f"{before.value} -> {status.value}" + (f" ({label})" if label else "")
            outbox.add(rec.item.reporter_id, NotificationKind.STATUS_CHANGED, change, actor=rec.actor, text=text or "")

    @staticmethod
    def _noted(rec: Recorder, label: str, text: str | None, what: str = "note") -> str | None:
        """Keep a person's text as their comment; the event's reference to it (None without text)."""
        return f"{what} in comment {rec.note(label, text)}" if text else None

    def _finish(
        self,
        rec: Recorder,
        outbox: Outbox,
        notices: tuple[str, ...] = (),
        *,
        edit: EditHook | None = None,
        events: tuple[str, ...] = (),
        what: str | None = None,
    ) -> ActionResult:
        routing = self.programs.program(rec.item.program)
        rec.item.next_escalation_at = escalation.next_check(rec.item, routing)
        rec.session.flush()
        view = ItemView.of(rec.item)
        notes = outbox.build(view)
        enqueue_notes(rec.session, notes)  # owed in the same transaction as the change
        for event_type in events:  # and the webhooks' events with them
            enqueue_item_event(rec.session, self.programs, event_type, view, rec.actor)
        if what is not None and rec.changed:  # the triage post shows the new state, whoever made the change
            enqueue_triage_edits(rec.session, view, what, rec.actor)
        if edit is not None:  # e.g. the edit of the message whose button made the change
            edit(rec.session, view)
        return ActionResult(view, notes, tuple(dict.fromkeys(rec.changed)), notices)

    # -- create --------------------------------------------------------------------------------

    def create(self, new: NewItem, *, keys: Sequence[str] = ()) -> CreateResult:
        """Validate, route to the program owner, set SLA due times; notify reporter, owner and triage channel.

        ``keys`` identify the submission (the form's view id, who + what + minute): when an item was already
        stored under one of them, that item is returned (``duplicate``) and nothing is written.
        Raises ItemValidationError with ``errors`` keyed by field (title, description, kind, ...).
        """
        values, notices = validate_submission(new)
        return idempotency.once(lambda: self._create(new, values, notices, tuple(keys)), keys)

    def _create(self, new: NewItem, values: dict, notices: tuple[str, ...], keys: tuple[str, ...]) -> CreateResult:
        routing = self.programs.program(values["program"])
        now = self.clock()
        severity: Severity = values["severity"]
        item = TrackerItem(
            **values,
            status=Status.NEW,
            assignee_id=routing.primary_owner,
            first_response_due_at=add_business_hours(now, routing.sla.first_response[severity], routing.calendar),
            resolution_due_at=add_business_hours(now, routing.sla.resolution[severity], routing.calendar),
            escalation_level=0,
            created_at=now,
            updated_at=now,
        )
        item.remind_at = escalation.reminder_time(now, item, routing)
        item.next_escalation_at = escalation.next_check(item, routing)
        with self._transaction("new item", new.description) as session:
            stored = idempotency.stored_item(session, keys)
            if stored is not None:
                view = ItemView.of(self._load(session, stored, lock=False))
                logger.info("%s was already stored for this submission; not creating it again", view.ref)
                return CreateResult(view, (), (), notices, duplicate=True, truncated=bool(notices))
            session.add(item)
            session.flush()  # assigns the id: the integer primary key (identity / sequence on PostgreSQL)
            idempotency.remember(session, keys, item.id, now)
            rec = Recorder(session, item, new.reporter_id, now)
            rec.event("created", after=item.status, detail=f"{item.kind.value} for {item.program}, {severity.value}")
            rec.event("assigned", field="assignee_id", after=item.assignee_id, detail="routed to the program owner")
            if notices:
                rec.event("truncated", field="description", detail=notices[0])
            view = ItemView.of(item)
            outbox = Outbox()
            outbox.add(new.reporter_id, NotificationKind.REPORTER_CONFIRMATION, view.ref)
            outbox.add(routing.primary_owner, NotificationKind.NEW_ITEM_OWNER)
            outbox.add(routing.triage_channel, NotificationKind.NEW_ITEM_CHANNEL)
            notifications = outbox.build(view)
            enqueue_notes(session, notifications)
            enqueue_item_event(session, self.programs, "item.created", view, None)  # no reporter id: not needed
        logger.info("created %s (%s, %s, %s)", view.ref, view.kind.value, view.program, view.severity.value)
        return CreateResult(view, notifications, ("created",), notices, truncated=bool(notices))

    def validate(self, new: NewItem) -> None:
        """Check a submission without touching the database (e.g. before closing a modal); raises
        ItemValidationError like ``create``."""
        validate_submission(new)

    # -- actions -------------------------------------------------------------------------------

    def assign(self, ref: str | int, assignee: str, *, actor: str, edit: EditHook | None = None) -> ActionResult:
        """Give the item to ``assignee``; a new item becomes triaged. Owners and the PMO only. ``edit`` writes
        more in the same transaction (after the change; e.g. an outbox row editing a message)."""
        if not USER_RE.match(assignee or ""):
            raise ItemValidationError({"assignee": "must be a Slack user id"})
        with self._transaction("assignment") as session:
            item = self._load(session, ref)
            require(self.programs, actor, Action.ASSIGN, item)
            self._require_not_finished(item, "assign")
            rec, outbox = Recorder(session, item, actor, self.clock()), Outbox()
            events: tuple[str, ...] = ()
            if rec.set("assignee_id", assignee, action="assigned"):
                outbox.add(assignee, NotificationKind.ASSIGNED, "assigned", actor=actor)
                events = ("item.assigned",)
            if item.status is Status.NEW:
                self._set_status(rec, Status.TRIAGED, outbox)
            self._first_response(rec)
            return self._finish(rec, outbox, edit=edit, what="assigned", events=events)

    def set_status(
        self,
        ref: str | int,
        status: Status | str,
        *,
        actor: str,
        note: str | None = None,
        edit: EditHook | None = None,
    ) -> ActionResult:
        """Move an open item to triaged, in_progress or waiting (resolve, close, reopen have their own methods)."""
        target = _status(status)
        if target not in WORK_STATUSES:
            raise InvalidTransitionError(f"use resolve, close or reopen to move an item to {target.value}")
        with self._transaction("status change", note) as session:
            item = self._load(session, ref)
            require(self.programs, actor, Action.SET_STATUS, item)
            self._require_not_finished(item, f"move to {target.value}")
            if item.status is target:
                raise InvalidTransitionError(f"{item.ref} is already {target.value}")
            rec, outbox = Recorder(session, item, actor, self.clock()), Outbox()
            self._set_status(rec, target, outbox, note, recorded=self._noted(rec, "Status note", note))
            self._first_response(rec)
            return self._finish(rec, outbox, edit=edit, what=_status_words(target))

    def comment(self, ref: str | int, text: str, *, actor: str, keys: Sequence[str] = ()) -> ActionResult:
        """Add a comment; the reporter and the assignee (whoever did not write it) are told. A comment already
        stored under one of ``keys`` is not added again (``duplicate``)."""
        body = clean_text(text).strip()
        if not body:
            raise ItemValidationError({"comment": "is empty"})
        if len(body) > MAX_COMMENT_CHARS:
            raise ItemValidationError({"comment": f"must be at most {MAX_COMMENT_CHARS:,} characters"})
        return idempotency.once(lambda: self._comment(ref, body, actor, tuple(keys)), keys)

    def _comment(self, ref: str | int, body: str, actor: str, keys: tuple[str, ...]) -> ActionResult:
        with self._transaction("comment", body) as session:
            item = self._load(session, ref)
            require(self.programs, actor, Action.COMMENT, item)
            if idempotency.stored_item(session, keys) is not None:
                return ActionResult(ItemView.of(item), duplicate=True)
            rec, outbox = Recorder(session, item, actor, self.clock()), Outbox()
            idempotency.remember(session, keys, item.id, rec.now)
            comment = TrackerComment(item_id=item.id, author_id=actor, body=body, created_at=rec.now)
            session.add(comment)
            session.flush()
            rec.event("commented", detail=f"comment {comment.id}")
            rec.changed.append("comments")
            item.updated_at = rec.now
            routing = self.programs.program(item.program)
            for person in (item.reporter_id, item.assignee_id or routing.primary_owner):
                if person != actor:
                    outbox.add(person, NotificationKind.COMMENT_ADDED, actor=actor, text=body)
            self._first_response(rec)
            return self._finish(rec, outbox)

    def escalate(
        self, ref: str | int, reason: str, *, actor: str, keys: Sequence[str] = (), edit: EditHook | None = None
    ) -> ActionResult:
        """Escalate one level up the program's chain (owner -> program lead -> PMO lead -> ESC); a request
        already stored under one of ``keys`` (the same form submitted twice) does nothing (``duplicate``)."""
        reason = clean_text(reason).strip()
        if not reason:
            raise ItemValidationError({"reason": "say why the item needs escalating"})
        return idempotency.once(lambda: self._escalate(ref, reason, actor, tuple(keys), edit), keys)

    def _escalate(
        self, ref: str | int, reason: str, actor: str, keys: tuple[str, ...], edit: EditHook | None = None
    ) -> ActionResult:
        with self._transaction("escalation", reason) as session:
            item = self._load(session, ref)
            require(self.programs, actor, Action.ESCALATE, item)
            if idempotency.stored_item(session, keys) is not None:
                return ActionResult(ItemView.of(item), duplicate=True)
            idempotency.remember(session, keys, item.id, self.clock())
            self._require_not_finished(item, "escalate")
            routing = self.programs.program(item.program)
            if item.escalation_level >= routing.max_level:
                raise InvalidTransitionError(f"{item.ref} is already at the top of the escalation chain (the ESC)")
            rec, outbox = Recorder(session, item, actor, self.clock()), Outbox()
            self._require_reporter_window(item, routing, actor, rec.now)
            recorded = self._noted(rec, "Escalation reason", reason, "reason")
            escalation.escalate(rec, routing, reason, outbox, actor=actor, recorded=recorded)
            self._first_response(rec)
            return self._finish(rec, outbox, edit=edit, what="escalated", events=("item.escalated",))

    def resolve(
        self, ref: str | int, resolution: str, *, actor: str, keys: Sequence[str] = (), edit: EditHook | None = None
    ) -> ActionResult:
        """Resolve an open item with a resolution text; the reporter is told. Idempotent on ``keys``."""
        resolution = clean_text(resolution).strip()
        if not resolution:
            raise ItemValidationError({"resolution": "say how the item was resolved"})
        if len(resolution) > MAX_RESOLUTION_CHARS:
            raise ItemValidationError({"resolution": f"must be at most {MAX_RESOLUTION_CHARS:,} characters"})
        return idempotency.once(lambda: self._resolve(ref, resolution, actor, tuple(keys), edit), keys)

    def _resolve(
        self, ref: str | int, resolution: str, actor: str, keys: tuple[str, ...], edit: EditHook | None = None
    ) -> ActionResult:
        with self._transaction("resolution", resolution) as session:
            item = self._load(session, ref)
            require(self.programs, actor, Action.RESOLVE, item)
            if idempotency.stored_item(session, keys) is not None:
                return ActionResult(ItemView.of(item), duplicate=True)
            idempotency.remember(session, keys, item.id, self.clock())
            self._require_not_finished(item, "resolve")
            rec, outbox = Recorder(session, item, actor, self.clock()), Outbox()
            comment = rec.note("Resolution", resolution)
            rec.set("resolution", resolution, shown_after=f"comment {comment}")
            rec.set("resolved_at", rec.now)
            self._set_status(rec, Status.RESOLVED, outbox, resolution, recorded=f"resolution in comment {comment}")
            self._first_response(rec)
            item.remind_at = None
            return self._finish(rec, outbox, edit=edit, what="resolved", events=("item.resolved",))

    def close(self, ref: str | int, *, actor: str, note: str | None = None) -> ActionResult:
        """Close an open or resolved item (the reporter may withdraw their own)."""
        with self._transaction("closing", note) as session:
            item = self._load(session, ref)
            require(self.programs, actor, Action.CLOSE, item)
            if item.status is Status.CLOSED:
                raise InvalidTransitionError(f"{item.ref} is already closed")
            rec, outbox = Recorder(session, item, actor, self.clock()), Outbox()
            rec.set("closed_at", rec.now)
            self._set_status(rec, Status.CLOSED, outbox, note, recorded=self._noted(rec, "Closing note", note))
            self._first_response(rec)
            item.remind_at = None
            return self._finish(rec, outbox, what="closed")

    def reopen(self, ref: str | int, reason: str, *, actor: str, status: Status | str = Status.TRIAGED) -> ActionResult:
        """Reopen a resolved or closed item to triaged or in_progress, with a fresh resolution SLA."""
        target = _status(status)
        if target not in (Status.TRIAGED, Status.IN_PROGRESS):
            raise InvalidTransitionError("an item reopens to triaged or in_progress")
        reason = clean_text(reason).strip()
        if not reason:
            raise ItemValidationError({"reason": "say why the item is being reopened"})
        with self._transaction("reopening", reason) as session:
            item = self._load(session, ref)
            require(self.programs, actor, Action.REOPEN, item)
            if item.status not in (Status.RESOLVED, Status.CLOSED):
                message = f"{item.ref} is still open ({item.status.value})"
                raise InvalidTransitionError(message + ": only resolved or closed items reopen")
            routing = self.programs.program(item.program)
            rec, outbox = Recorder(session, item, actor, self.clock()), Outbox()
            noted = self._noted(rec, "Reopen reason", reason, "reason")
            self._set_status(rec, target, outbox, reason, label="reopened", recorded=f"reopened: {noted}")
            rec.set("resolved_at", None)
            rec.set("closed_at", None)
            rec.set("resolution", None)
            rec.set("escalation_level", 0, detail="reopened")
            item.last_escalated_at = None
            due = add_business_hours(rec.now, routing.sla.resolution[item.severity], routing.calendar)
            rec.set("resolution_due_at", due, detail="reopened: new resolution SLA")
            for recipient in (item.assignee_id or routing.primary_owner, routing.triage_channel):
                outbox.add(recipient, NotificationKind.REOPENED, actor=actor, text=reason)
            return self._finish(rec, outbox, what="reopened")

    def _require_reporter_window(
        self, item: TrackerItem, routing: ProgramRouting, actor: str, now: dt.datetime
    ) -> None:
        """A reporter (with no other role on the item) escalates it at most once per SLA window, so three
        `/icam escalate` in a row cannot take it to the ESC; owners, assignees and the PMO are not limited."""
        if roles(self.programs, actor, item) != {"reporter"}:
            return
        until = escalation.reporter_window_end(item, routing)
        if until is not None and now < until:
            level = LEVEL_NAMES[item.escalation_level]
            raise InvalidTransitionError(
                f"{item.ref} was escalated to the {level} recently: the {level} has until "
                f"{until.strftime('%Y-%m-%d %H:%M UTC')} to respond before you can escalate it again "
                f"(the {item.program} program owners and the ICAM PMO can escalate it sooner)"
            )

    @staticmethod
    def _require_not_finished(item: TrackerItem, verb: str) -> None:
        if item.status in (Status.RESOLVED, Status.CLOSED):
            raise InvalidTransitionError(f"cannot {verb} {item.ref}: it is {item.status.value} (reopen it first)")


def _status_words(status: Status) -> str:
    """How a status change is shown on the triage post (as the Acknowledge button says it)."""
    return "acknowledged" if status is Status.TRIAGED else f"moved to {status.value.replace('_', ' ')}"


def _status(value: Status | str) -> Status:
    try:
        return Status(value)
    except ValueError:
        raise InvalidTransitionError(f"{value!r} is not a status ({', '.join(Status)})") from None
