"""Column types and widths shared by every domain's tables (the kernel: no domain is imported here)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import DateTime, Enum, TypeDecorator
from sqlalchemy.engine import Dialect

#: Slack user ids.
USER_ID_LEN = 32
#: Where a message goes: a Slack user or channel id.
TARGET_LEN = 32


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite hands back naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("tracker datetimes must be timezone-aware")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _values(cls: type[enum.Enum]) -> list[str]:
    return [member.value for member in cls]


def enum_column(cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR storing the value, with a CHECK constraint."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        values_callable=_values,
        length=16,
        validate_strings=True,
    )
