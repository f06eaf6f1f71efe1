"""Business-hours arithmetic in a program's time zone (zoneinfo), for SLA due times."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

logger = logging.getLogger(__name__)

MAX_DAYS_SCANNED = 3660  # ten years of calendar: a guard against a calendar with no working time


@dataclass(frozen=True)
class BusinessCalendar:
    """Working hours on working weekdays (0 = Monday) in ``zone``, minus holidays."""

    zone: ZoneInfo
    start: dt.time = dt.time(8, 0)
    end: dt.time = dt.time(17, 0)
    weekdays: frozenset[int] = frozenset(range(5))
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """That day's working window as UTC instants."""
        opens = dt.datetime.combine(day, self.start, tzinfo=self.zone).astimezone(dt.UTC)
        closes = dt.datetime.combine(day, self.end, tzinfo=self.zone).astimezone(dt.UTC)
        return opens, closes


def add_business_hours(start: dt.datetime, hours: float, calendar: BusinessCalendar) -> dt.datetime:
    """The UTC instant ``hours`` working hours after ``start`` (which must be timezone-aware).

    Time outside working hours does not count: an item raised on Friday evening with a 4-hour SLA is due
    at noon on Monday (for 08:00-17:00). ``hours <= 0`` returns ``start``.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    current = start.astimezone(dt.UTC)
    remaining = dt.timedelta(hours=hours)
    if remaining <= dt.timedelta(0):
        return current
    day = current.astimezone(calendar.zone).date()
    for _ in range(MAX_DAYS_SCANNED):
        if calendar.is_working_day(day):
            opens, closes = calendar.window(day)
            current = max(current, opens)
            if current < closes:
                available = closes - current
                if remaining <= available:
                    return current + remaining
                remaining -= available
                current = closes
        day += dt.timedelta(days=1)
    raise ValueError("the business calendar has no working time")


def business_hours_between(start: dt.datetime, end: dt.datetime, calendar: BusinessCalendar) -> float:
    """Working hours elapsed from ``start`` to ``end`` (0 when ``end`` is not later)."""
    if end <= start:
        return 0.0
    total = dt.timedelta(0)
    day = start.astimezone(calendar.zone).date()
    last = end.astimezone(calendar.zone).date()
    while day <= last:
        if calendar.is_working_day(day):
            opens, closes = calendar.window(day)
            lo, hi = max(opens, start), min(closes, end)
            if hi > lo:
                total += hi - lo
        day += dt.timedelta(days=1)
    return total.total_seconds() / 3600
