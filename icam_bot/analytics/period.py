"""The weeks a report covers: whole ISO weeks (Monday 00:00 UTC), the current one included up to now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WEEK = dt.timedelta(days=7)
DEFAULT_WEEKS = 12
MAX_WEEKS = 520


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


@dataclass(frozen=True)
class Window:
    """From ``start`` (a Monday 00:00 UTC, inclusive) to ``end`` (exclusive)."""

    start: dt.datetime
    end: dt.datetime

    @classmethod
    def last_weeks(cls, now: dt.datetime, weeks: int = DEFAULT_WEEKS) -> Window:
        """The ``weeks`` most recent weeks, this one (up to ``now``) the last."""
        if not 1 <= weeks <= MAX_WEEKS:
            raise ValueError(f"weeks must be 1-{MAX_WEEKS} (got {weeks})")
        first = monday(now.astimezone(dt.UTC).date()) - (weeks - 1) * WEEK
        return cls(start_of(first), now.astimezone(dt.UTC))

    @classmethod
    def since(cls, day: dt.date, now: dt.datetime) -> Window:
        """From the week holding ``day`` up to ``now``."""
        start = start_of(monday(day))
        if start > now:
            raise ValueError(f"{day} is in the future")
        return cls(start, now.astimezone(dt.UTC))

    @property
    def weeks(self) -> list[dt.date]:
        """The Mondays of the weeks covered, oldest first."""
        days, day = [], self.start.date()
        while start_of(day) < self.end:
            days.append(day)
            day += WEEK
        return days
