"""Shared by the append-only audit trails (tracker and board): their columns, how values are written, no edits or
deletes, and the detached view of an event."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Self

from sqlalchemy import String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from icam_bot.db.base import Base, utcnow
from icam_bot.db.types import USER_ID_LEN, UtcDateTime


def audit_text(value: Any) -> str | None:
    """How a value is written in the audit trail: enums by value, dates ISO (datetimes in UTC), None stays None."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def append_only(model: type[Base], label: str) -> None:
    """Make the ORM refuse to update or delete rows of ``model`` ("<label> <id> is append-only")."""

    def refuse(_mapper: object, _connection: object, target: Any) -> None:
        raise RuntimeError(f"{label} {target.id} is append-only")

    event.listen(model, "before_update", refuse)
    event.listen(model, "before_delete", refuse)


class AuditEventColumns:
    """The columns every audit event has (tracker and board): who, what, before -> after, why, when."""

    actor_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    action: Mapped[str] = mapped_column(String(32))
    field: Mapped[str | None] = mapped_column(String(32))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class AuditEventView:
    """Base of the frozen dataclasses that show an audit event detached from its session (the tracker's and the
    board's): each declares the fields it shows, in its own order, and ``of`` copies them from the row."""

    actor_id: str
    action: str
    field: str | None
    before: str | None
    after: str | None
    detail: str | None
    created_at: dt.datetime

    @classmethod
    def of(cls, event: AuditEventColumns) -> Self:
        fields = getattr(cls, "__dataclass_fields__", {})
        return cls(**{name: getattr(event, name) for name in fields})
