"""Tracker tables: items (ICAM-<n>), their comments and an append-only audit trail."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from icam_bot.db.audit import AuditEventColumns, append_only
from icam_bot.db.base import Base, utcnow
from icam_bot.db.types import TARGET_LEN, USER_ID_LEN, UtcDateTime, enum_column
from icam_bot.knowledge.model import PROGRAMS
from icam_bot.programs.severity import Severity

TITLE_LEN = 200
BUREAU_LEN = 100
PERMALINK_LEN = 1000
SUBMISSION_KEY_LEN = 128


class ItemKind(enum.StrEnum):
    QUESTION = "question"
    ISSUE = "issue"
    CONCERN = "concern"
    RISK = "risk"


class Status(enum.StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"


#: Statuses in which an item still needs work (and counts against its SLA, except ``waiting``).
OPEN_STATUSES: tuple[Status, ...] = (Status.NEW, Status.TRIAGED, Status.IN_PROGRESS, Status.WAITING)
#: Statuses the SLA clock runs in; ``waiting`` (on the reporter) pauses escalation.
SLA_STATUSES: tuple[Status, ...] = (Status.NEW, Status.TRIAGED, Status.IN_PROGRESS)


class TrackerItem(Base):
    """A question, issue, concern or risk raised with the ICAM PMO; ``ICAM-<id>`` is its human id."""

    __tablename__ = "tracker_items"
    __table_args__ = (
        CheckConstraint(f"program IN ({', '.join(repr(p) for p in PROGRAMS)})", name="program"),
        CheckConstraint("likelihood IS NULL OR likelihood BETWEEN 1 AND 5", name="likelihood"),
        CheckConstraint("impact IS NULL OR impact BETWEEN 1 AND 5", name="impact"),
        CheckConstraint("escalation_level >= 0", name="escalation_level"),
        Index("ix_tracker_items_program_status_due", "program", "status", "resolution_due_at"),
        Index("ix_tracker_items_reporter_id_created_at", "reporter_id", "created_at"),
        Index("ix_tracker_items_assignee_id_status", "assignee_id", "status"),
        Index("ix_tracker_items_status_created_at", "status", "created_at"),
        # stats: counts by status / program / severity from the index alone; medians over recent items
        Index("ix_tracker_items_status_program_severity", "status", "program", "severity"),
        Index("ix_tracker_items_first_response_at", "first_response_at"),
        Index("ix_tracker_items_resolved_at", "resolved_at"),
        # answer analytics: items per week, and the questions that became items
        Index("ix_tracker_items_created_at", "created_at"),
        Index("ix_tracker_items_question_log_id", "question_log_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind, "kind"))
    title: Mapped[str] = mapped_column(String(TITLE_LEN))
    description: Mapped[str] = mapped_column(Text)
    program: Mapped[str] = mapped_column(String(32))
    bureau: Mapped[str | None] = mapped_column(String(BUREAU_LEN))
    severity: Mapped[Severity] = mapped_column(enum_column(Severity, "severity"))
    status: Mapped[Status] = mapped_column(enum_column(Status, "status"), default=Status.NEW)
    reporter_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    assignee_id: Mapped[str | None] = mapped_column(String(USER_ID_LEN))
    channel_id: Mapped[str | None] = mapped_column(String(TARGET_LEN))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    permalink: Mapped[str | None] = mapped_column(String(PERMALINK_LEN))
    # risk register fields (kind == risk)
    likelihood: Mapped[int | None] = mapped_column(Integer)
    impact: Mapped[int | None] = mapped_column(Integer)
    mitigation_owner_id: Mapped[str | None] = mapped_column(String(USER_ID_LEN))
    resolution: Mapped[str | None] = mapped_column(Text)
    # SLA and escalation state (the sweeper's state lives here, so it survives restarts)
    first_response_due_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    resolution_due_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    last_escalated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    next_escalation_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), index=True)
    remind_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    first_response_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    #: The question-log row this item was raised from ("Log an issue" on a reply); no foreign key: the
    #: retention job purges question-log rows long before items.
    question_log_id: Mapped[int | None] = mapped_column(Integer)
    #: When the retention job replaced the free text (title, description, resolution, comments) with [redacted].
    redacted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    @property
    def ref(self) -> str:
        return f"ICAM-{self.id}"

    @property
    def risk_score(self) -> int | None:
        """Likelihood x impact (1-25) for risks, else None."""
        if self.likelihood is None or self.impact is None:
            return None
        return self.likelihood * self.impact


class TrackerComment(Base):
    """A comment on an item."""

    __tablename__ = "tracker_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("tracker_items.id", ondelete="RESTRICT"), index=True)
    author_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class TrackerEvent(AuditEventColumns, Base):
    """One change to an item: who, what, before -> after, when. Rows are never updated or deleted."""

    __tablename__ = "tracker_events"
    __table_args__ = (Index("ix_tracker_events_item_id_id", "item_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("tracker_items.id", ondelete="RESTRICT"))


append_only(TrackerEvent, "audit event")


class TrackerSubmissionKey(Base):
    """A submission already stored (a form's view id, or who + what + minute): a re-submission finds its item."""

    __tablename__ = "tracker_submission_keys"

    key: Mapped[str] = mapped_column(String(SUBMISSION_KEY_LEN), primary_key=True)
    #: RESTRICT like every foreign key onto items since 0006: items are closed, never deleted.
    item_id: Mapped[int] = mapped_column(ForeignKey("tracker_items.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
