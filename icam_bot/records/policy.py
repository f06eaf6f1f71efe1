"""Retention settings (ICAM_RETENTION_QUESTIONS_DAYS, ICAM_RETENTION_CLOSED_ITEMS_DAYS): light, so the
configuration can read them without loading the database layer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: What redacted free text reads (migration 0006's comment trigger allows exactly this change).
REDACTED = "[redacted]"
MAX_DAYS = 36_500


@dataclass(frozen=True)
class RetentionPolicy:
    """Retention periods in days; None = kept (that part of the job is off)."""

    questions_days: int | None = None
    closed_items_days: int | None = None

    @property
    def enabled(self) -> bool:
        return self.questions_days is not None or self.closed_items_days is not None

    def questions_cutoff(self, now: dt.datetime) -> dt.datetime | None:
        return None if self.questions_days is None else now - dt.timedelta(days=self.questions_days)

    def items_cutoff(self, now: dt.datetime) -> dt.datetime | None:
        return None if self.closed_items_days is None else now - dt.timedelta(days=self.closed_items_days)

    def describe(self) -> str:
        def days(value: int | None) -> str:
            return "kept" if value is None else f"{value} days"

        return f"questions {days(self.questions_days)}, finished items' text {days(self.closed_items_days)}"


def parse_days(name: str, raw: str | None, problems: list[str]) -> int | None:
    """An ICAM_RETENTION_* value: empty, ``off`` or ``0`` = None (kept), else days 1-36500."""
    value = (raw or "").strip().lower()
    if value in ("", "off", "0"):
        return None
    if not value.isdigit() or int(value) > MAX_DAYS:
        problems.append(f"{name} must be a number of days 1-{MAX_DAYS}, or off (got {value[:20]!r})")
        return None
    return int(value)
