"""Shared by the append-only audit trails (tracker and board): how values are written, and no edits or deletes."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import event

from icam_bot.db.base import Base


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
