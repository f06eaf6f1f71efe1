"""Board tables: per-program RAG, workstreams, milestones and an append-only audit trail."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from icam_bot.db.audit import AuditEventColumns, append_only
from icam_bot.db.base import Base, utcnow
from icam_bot.db.types import USER_ID_LEN, UtcDateTime, enum_column
from icam_bot.knowledge.model import PROGRAMS
from icam_bot.tracker.models import TrackerItem

NAME_LEN = 120
NOTE_LEN = 200
PROGRAM_CHECK = f"program IN ({', '.join(repr(p) for p in PROGRAMS)})"


class Rag(enum.StrEnum):
    """Red / amber / green health rating, best first."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"

    @property
    def rank(self) -> int:
        return list(Rag).index(self)


class WorkStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


#: Statuses of milestones and workstreams that still lie ahead.
OPEN_WORK: tuple[WorkStatus, ...] = (WorkStatus.PLANNED, WorkStatus.IN_PROGRESS)


class _Stamped:
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(USER_ID_LEN))


class ProgramStatus(_Stamped, Base):
    """The PMO's explicit RAG and one-line note for a component program (absent: RAG is derived)."""

    __tablename__ = "board_programs"
    __table_args__ = (CheckConstraint(PROGRAM_CHECK, name="program"),)

    program: Mapped[str] = mapped_column(String(32), primary_key=True)
    rag: Mapped[Rag | None] = mapped_column(enum_column(Rag, "rag"))
    note: Mapped[str | None] = mapped_column(String(NOTE_LEN))


class Workstream(_Stamped, Base):
    """A line of work inside a program; milestones may belong to one."""

    __tablename__ = "board_workstreams"
    __table_args__ = (CheckConstraint(PROGRAM_CHECK, name="program"), UniqueConstraint("program", "name"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    program: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    owner_id: Mapped[str | None] = mapped_column(String(USER_ID_LEN))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[WorkStatus] = mapped_column(enum_column(WorkStatus, "status"), default=WorkStatus.PLANNED)
    rag: Mapped[Rag] = mapped_column(enum_column(Rag, "rag"), default=Rag.GREEN)
    note: Mapped[str | None] = mapped_column(String(NOTE_LEN))


class Milestone(_Stamped, Base):
    """A dated deliverable of a program: who owns it, when it is due, its status and RAG."""

    __tablename__ = "board_milestones"
    __table_args__ = (
        CheckConstraint(PROGRAM_CHECK, name="program"),
        UniqueConstraint("program", "name"),
        Index("ix_board_milestones_program_status_due", "program", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    program: Mapped[str] = mapped_column(String(32))
    workstream_id: Mapped[int | None] = mapped_column(
        ForeignKey("board_workstreams.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    owner_id: Mapped[str | None] = mapped_column(String(USER_ID_LEN))
    due_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[WorkStatus] = mapped_column(enum_column(WorkStatus, "status"), default=WorkStatus.PLANNED)
    rag: Mapped[Rag] = mapped_column(enum_column(Rag, "rag"), default=Rag.GREEN)
    note: Mapped[str | None] = mapped_column(String(NOTE_LEN))
    completed_on: Mapped[dt.date | None] = mapped_column(Date)


class BoardEvent(AuditEventColumns, Base):
    """One change on the board: who, what, before -> after, when. Rows are never updated or deleted."""

    __tablename__ = "board_events"
    __table_args__ = (
        Index("ix_board_events_program_id", "program", "id"),
        Index("ix_board_events_target_target_id_id", "target", "target_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    program: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(16))  # program | workstream | milestone
    target_id: Mapped[int | None] = mapped_column(Integer)
    target_name: Mapped[str] = mapped_column(String(NAME_LEN))


append_only(BoardEvent, "board event")


#: The enterprise view counts open items per program, kind and severity from this index alone.
TRACKER_BOARD_INDEX = Index(
    "ix_tracker_items_status_program_kind_severity",
    TrackerItem.status,
    TrackerItem.program,
    TrackerItem.kind,
    TrackerItem.severity,
)
