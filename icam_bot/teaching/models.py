"""The tables of live knowledge: additions made from Slack, the version replicas watch, closed queue rows and
the append-only teaching audit."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from icam_bot.db.audit import AuditEventColumns, append_only
from icam_bot.db.base import Base, utcnow
from icam_bot.db.types import USER_ID_LEN, UtcDateTime

ENTRY_ID_LEN = 128


class ChangeKind(enum.StrEnum):
    PHRASING = "phrasing"  # ``text`` becomes a phrasing (alternate) of entry ``target_id``
    ENTRY = "entry"  # ``entry`` (the knowledge format's fields) is entry ``target_id``, new or a new revision
    REDIRECT_EXAMPLE = "redirect_example"  # ``text`` becomes an example of redirect ``target_id``


class ChangeStatus(enum.StrEnum):
    DRAFT = "draft"  # waits for a second person's approval
    LIVE = "live"  # merged into the knowledge base on every replica
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # an older revision of an entry edited again (kept: the entry's history)
    RETIRED = "retired"  # the YAML knowledge base holds it now (``kb pull`` + commit)


class LiveChange(Base):
    """One addition to the knowledge base made from Slack; never deleted (its status moves on)."""

    __tablename__ = "kb_live_changes"
    __table_args__ = (Index("ix_kb_live_changes_status", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(ENTRY_ID_LEN))
    text: Mapped[str | None] = mapped_column(Text)
    entry: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    proposed_by: Mapped[str] = mapped_column(String(USER_ID_LEN))
    proposed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(USER_ID_LEN))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    #: The revision of the same entry this one replaces (an entry edited in Slack keeps its history).
    supersedes: Mapped[int | None] = mapped_column(Integer)
    #: Evaluation questions of other entries this phrasing would take (the guard rail), when flagged.
    flags: Mapped[list | None] = mapped_column(JSON)
    #: The queue row (closure) it came from, whose askers hear back when it goes live.
    closure_id: Mapped[int | None] = mapped_column(Integer)


class LiveVersion(Base):
    """One row: bumped with every change that goes live or retires; replicas reload when it moves."""

    __tablename__ = "kb_live_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ReviewClosure(Base):
    """A closed queue row: how (entry | new_answer | not_icam | ignore), by whom, and who asked."""

    __tablename__ = "kb_review_closures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(16))
    #: The entry (or redirect) the row was closed with; None for ignore, or a new answer not approved yet.
    target_id: Mapped[str | None] = mapped_column(String(ENTRY_ID_LEN))
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: [asker, their question] pairs: who hears back, with their own wording.
    askers: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    closed_by: Mapped[str] = mapped_column(String(USER_ID_LEN))
    closed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class TeachingEvent(AuditEventColumns, Base):
    """Append-only audit of every teaching action: who closed, proposed, approved, rejected or retired what."""

    __tablename__ = "kb_teaching_events"
    __table_args__ = (Index("ix_kb_teaching_events_target", "target", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: The entry or redirect id (or ``queue``) the action was about.
    target: Mapped[str] = mapped_column(String(ENTRY_ID_LEN))
    change_id: Mapped[int | None] = mapped_column(Integer)
    closure_id: Mapped[int | None] = mapped_column(Integer)


append_only(TeachingEvent, "teaching event")
