"""The access log (AU-2, AU-12): record reads of sensitive records and list them for review.

Reads are recorded in the reader's own transaction, so an allowed read and its record commit together; a
refused or unknown lookup is recorded in a transaction of its own (the read's was rolled back).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from icam_bot.db.base import utcnow
from icam_bot.db.session import make_session_factory
from icam_bot.records.models import ACTOR_LEN, TARGET_LEN, AccessEvent

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 200
ALL_PROGRAMS = "all programs"


class AccessAction(enum.StrEnum):
    ITEM_VIEW = "item_view"  # an item's details or history (status lookup, "Show details", history)
    QUEUE = "queue"  # a list of open items (/icam queue, the Home tab's queue)
    RISKS = "risks"  # the risk register
    STATS = "stats"  # tracker statistics
    EXPORT = "export"  # icam-bot report
    AUDIT = "audit"  # icam-bot audit: reading this log
    RETENTION = "retention"  # the retention job purged or redacted records
    ANALYTICS = "analytics"  # answer analytics showing question text (the top unanswered topics)


class Outcome(enum.StrEnum):
    ALLOWED = "allowed"
    REFUSED = "refused"
    NOT_FOUND = "not_found"
    FAILED = "failed"


class Surface(enum.StrEnum):
    SLACK = "slack"
    CLI = "cli"
    SERVE = "serve"  # a background job of `icam-bot serve` (the retention job)


@dataclass
class AccessNote:
    """What a read touched, filled in while it runs (the target may become known only after a lookup)."""

    action: AccessAction
    actor: str
    target: str
    surface: Surface = Surface.SLACK
    item_id: int | None = None
    detail: str | None = None

    def event(self, outcome: Outcome, now: dt.datetime, detail: str | None = None) -> AccessEvent:
        return AccessEvent(
            actor_id=self.actor[:ACTOR_LEN],
            surface=self.surface.value,
            action=self.action.value,
            target=self.target[:TARGET_LEN],
            item_id=self.item_id,
            outcome=outcome.value,
            detail=detail if detail is not None else self.detail,
            created_at=now,
        )


@dataclass(frozen=True)
class AccessFilter:
    """Events by this actor, on this item, of this action or outcome, on or after ``since`` and on or before
    ``until`` (UTC dates); newest first, at most ``limit``."""

    actor: str | None = None
    item_id: int | None = None
    action: str | None = None
    outcome: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class AccessView:
    id: int
    actor_id: str
    surface: str
    action: str
    target: str
    item_id: int | None
    outcome: str
    detail: str | None
    created_at: dt.datetime

    @classmethod
    def of(cls, row: AccessEvent) -> AccessView:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)


class AccessLog:
    """Writes access events outside a reader's transaction (CLI exports, refusals) and lists them."""

    def __init__(self, sessions: sessionmaker[Session] | Engine, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.sessions = make_session_factory(sessions) if isinstance(sessions, Engine) else sessions
        self.clock = clock

    def record(self, note: AccessNote, outcome: Outcome, detail: str | None = None) -> None:
        with self.sessions.begin() as session:
            session.add(note.event(outcome, self.clock(), detail))
        logger.info("access %s %s by %s: %s", note.action.value, note.target, note.actor, outcome.value)

    def events(self, filters: AccessFilter) -> list[AccessView]:
        query = select(AccessEvent).order_by(AccessEvent.id.desc()).limit(filters.limit)
        if filters.actor:
            query = query.where(AccessEvent.actor_id == filters.actor)
        if filters.item_id is not None:
            query = query.where(AccessEvent.item_id == filters.item_id)
        if filters.action:
            query = query.where(AccessEvent.action == filters.action)
        if filters.outcome:
            query = query.where(AccessEvent.outcome == filters.outcome)
        if filters.since:
            query = query.where(AccessEvent.created_at >= _day_start(filters.since))
        if filters.until:
            query = query.where(AccessEvent.created_at < _day_start(filters.until + dt.timedelta(days=1)))
        with self.sessions() as session:
            return [AccessView.of(row) for row in session.scalars(query)]
