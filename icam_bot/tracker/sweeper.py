"""The SLA sweeper: reminders before the first-response SLA runs out, escalation one level at a time after.

All state lives in ``tracker_items`` (``next_escalation_at``, ``escalation_level``, ``remind_at``), so a
restart loses nothing. Every escalation is claimed with a conditional UPDATE (``... WHERE escalation_level =
:old``) in a short transaction; on PostgreSQL candidates are also read ``FOR UPDATE SKIP LOCKED`` so
concurrent sweepers split the work. Either way each overdue item moves up each level exactly once.
Notifications are delivered after commit (at most once: a failed delivery is logged, not retried).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass

from sqlalchemy import Engine, Row, Select, select, update
from sqlalchemy.orm import Session, sessionmaker

from icam_bot.db.base import utcnow
from icam_bot.db.session import make_session_factory
from icam_bot.programs.routing import ProgramsConfig
from icam_bot.tracker import escalation
from icam_bot.tracker.audit import SYSTEM_ACTOR, Recorder
from icam_bot.tracker.errors import TrackerUnavailableError
from icam_bot.tracker.models import SLA_STATUSES, TrackerEvent, TrackerItem
from icam_bot.tracker.notes import enqueue_notes, enqueue_triage_edits
from icam_bot.tracker.results import ItemView, Notification, NotificationKind, Outbox
from icam_bot.tracker.transactions import database_guard
from icam_bot.webhooks.events import enqueue_item_event

logger = logging.getLogger(__name__)

DEFAULT_BATCH = 100
MAX_BATCHES_PER_SWEEP = 1000
SCHEDULE_COLUMNS = (
    TrackerItem.id,
    TrackerItem.program,
    TrackerItem.status,
    TrackerItem.severity,
    TrackerItem.escalation_level,
    TrackerItem.first_response_due_at,
    TrackerItem.resolution_due_at,
    TrackerItem.first_response_at,
    TrackerItem.last_escalated_at,
)


@dataclass(frozen=True)
class SweepResult:
    """What one sweep did."""

    escalated: tuple[str, ...] = ()
    reminded: tuple[str, ...] = ()
    notifications: tuple[Notification, ...] = ()


class Sweeper:
    """Finds overdue items and escalates them; ``notify`` (if given) receives each notification after commit."""

    def __init__(
        self,
        sessions: sessionmaker[Session] | Engine,
        programs: ProgramsConfig,
        *,
        notify: Callable[[Notification], None] | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        batch_size: int = DEFAULT_BATCH,
    ) -> None:
        self.sessions = make_session_factory(sessions) if isinstance(sessions, Engine) else sessions
        self.programs = programs
        self.notify = notify
        self.clock = clock
        self.batch_size = batch_size

    def sweep_once(self, now: dt.datetime | None = None) -> SweepResult:
        """One pass: send due reminders, then escalate every overdue item by one level."""
        now = now or self.clock()
        escalated: list[str] = []
        reminded: list[str] = []
        notes: list[Notification] = []
        try:
            for _ in range(MAX_BATCHES_PER_SWEEP):
                refs, batch_notes, seen = self._escalate_batch(now)
                escalated += refs
                notes += batch_notes
                if seen < self.batch_size:
                    break
            for _ in range(MAX_BATCHES_PER_SWEEP):
                refs, batch_notes, seen = self._remind_batch(now)
                reminded += refs
                notes += batch_notes
                if seen < self.batch_size:
                    break
        finally:
            self._deliver(notes)
        if escalated or reminded:
            logger.info("sweep at %s: %d escalated, %d reminded", now.isoformat(), len(escalated), len(reminded))
        return SweepResult(tuple(escalated), tuple(reminded), tuple(notes))

    async def run_forever(
        self,
        interval: float = 60.0,
        *,
        stop: asyncio.Event | None = None,
        deliver: Callable[[Notification], Awaitable[None]] | None = None,
        on_result: Callable[[SweepResult], None] | None = None,
    ) -> None:
        """Sweep every ``interval`` seconds until ``stop`` is set; a database outage is logged and retried.

        ``on_result`` (e.g. metrics) sees each completed sweep's result before its notifications are delivered.
        """
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                result = await asyncio.to_thread(self.sweep_once, self.clock())
            except TrackerUnavailableError:
                logger.warning("SLA sweep skipped: database unavailable")
            except Exception:
                logger.exception("SLA sweep failed")
            else:
                if on_result is not None:
                    on_result(result)
                for note in result.notifications if deliver else ():
                    try:
                        await deliver(note)  # type: ignore[misc]
                    except Exception:
                        logger.exception("could not deliver %s for %s", note.kind.value, note.item.ref)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    # -- internals -----------------------------------------------------------------------------

    def _candidates(self, session: Session, query: Select) -> Sequence[Row]:
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=TrackerItem)
        return session.execute(query.limit(self.batch_size)).all()

    def _escalate_batch(self, now: dt.datetime) -> tuple[list[str], list[Notification], int]:
        refs: list[str] = []
        notes: list[Notification] = []
        query = (
            select(*SCHEDULE_COLUMNS)
            .where(TrackerItem.status.in_(SLA_STATUSES), TrackerItem.next_escalation_at <= now)
            .order_by(TrackerItem.next_escalation_at, TrackerItem.id)
        )
        with self._guard(), self.sessions.begin() as session:
            rows = self._candidates(session, query)
            for row in rows:
                routing = self.programs.program(row.program)
                # The claim takes the item off the schedule, only if no other sweeper moved it since the read:
                # whoever's conditional UPDATE changes the row escalates it, once.
                won = session.execute(
                    update(TrackerItem)
                    .where(
                        TrackerItem.id == row.id,
                        TrackerItem.escalation_level == row.escalation_level,
                        TrackerItem.next_escalation_at <= now,
                    )
                    .values(next_escalation_at=None)
                    .execution_options(synchronize_session=False)
                )
                if won.rowcount != 1 or row.escalation_level >= routing.max_level:
                    continue  # another sweeper got there first, or the top of the chain: nothing to schedule
                item = session.get(TrackerItem, row.id, populate_existing=True)
                assert item is not None
                outbox = Outbox()
                escalation.escalate(
                    Recorder(session, item, SYSTEM_ACTOR, now), routing, _reason(row, now), outbox, actor=None
                )
                session.flush()
                session.refresh(item)
                view = ItemView.of(item)
                built = outbox.build(view)
                enqueue_notes(session, built)  # owed in the batch's transaction, with the escalation
                enqueue_item_event(session, self.programs, "item.escalated", view, None)
                enqueue_triage_edits(session, view, SWEEPER_WORDS, None)  # the triage post shows the new level
                notes += built
                refs.append(item.ref)
        return refs, notes, len(rows)

    def _remind_batch(self, now: dt.datetime) -> tuple[list[str], list[Notification], int]:
        refs: list[str] = []
        notes: list[Notification] = []
        query = (
            select(TrackerItem.id)
            .where(
                TrackerItem.status.in_(SLA_STATUSES),
                TrackerItem.remind_at <= now,
                TrackerItem.first_response_at.is_(None),
            )
            .order_by(TrackerItem.remind_at, TrackerItem.id)
        )
        with self._guard(), self.sessions.begin() as session:
            rows = self._candidates(session, query)
            for (item_id,) in rows:
                won = session.execute(
                    update(TrackerItem)
                    .where(TrackerItem.id == item_id, TrackerItem.remind_at.is_not(None))
                    .values(remind_at=None)
                    .execution_options(synchronize_session=False)
                )
                if won.rowcount != 1:
                    continue
                item = session.get(TrackerItem, item_id, populate_existing=True)
                assert item is not None
                due = item.first_response_due_at.isoformat(timespec="minutes")
                session.add(
                    TrackerEvent(
                        item_id=item_id,
                        actor_id=SYSTEM_ACTOR,
                        action="reminded",
                        detail=f"first response due {due}",
                        created_at=now,
                    )
                )
                recipient = item.assignee_id or self.programs.program(item.program).primary_owner
                note = Notification(
                    recipient, NotificationKind.SLA_REMINDER, ItemView.of(item), f"first response due {due}"
                )
                enqueue_notes(session, [note])
                notes.append(note)
                refs.append(item.ref)
        return refs, notes, len(rows)

    def _guard(self) -> AbstractContextManager[None]:
        return database_guard("SLA sweep")

    def _deliver(self, notes: list[Notification]) -> None:
        if self.notify is None:
            return
        for note in notes:
            try:
                self.notify(note)
            except Exception:
                logger.exception("could not deliver %s for %s", note.kind.value, note.item.ref)


#: How a sweeper escalation is shown on the item's triage post.
SWEEPER_WORDS = "escalated by the SLA sweeper"


def _reason(row: Row, now: dt.datetime) -> str:
    if row.first_response_at is None and now > row.first_response_due_at:
        return "first-response SLA missed"
    if now > row.resolution_due_at:
        return "resolution SLA missed"
    return "no progress since the last escalation"
