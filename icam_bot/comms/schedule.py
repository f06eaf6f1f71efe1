"""When the weekly digest runs: one local weekday and time in an IANA time zone, and the week it covers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class DigestPeriod:
    """One digest: its key (the ISO week of the scheduled local date, e.g. ``2026-W10``), when it is due and
    the week it reports on (``start`` inclusive to ``end`` exclusive, both UTC; ``end`` is the due time)."""

    key: str
    due_at: dt.datetime
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class DigestSchedule:
    """``day`` (Monday = 0) at ``at`` local time in ``tz``; DST changes are handled by computing in local time."""

    day: int
    at: dt.time
    tz: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def _local_run(self, date: dt.date) -> dt.datetime:
        return dt.datetime.combine(date, self.at, tzinfo=self.zone).astimezone(dt.UTC)

    def period(self, now: dt.datetime) -> DigestPeriod:
        """The latest period whose due time is at or before ``now``."""
        local = now.astimezone(self.zone)
        date = local.date() - dt.timedelta(days=(local.weekday() - self.day) % 7)
        due = self._local_run(date)
        if due > now:
            date -= WEEK
            due = self._local_run(date)
        return self._period(date, due)

    def next_due(self, now: dt.datetime) -> dt.datetime:
        """The first due time strictly after ``now``."""
        current = self.period(now)
        date = current.due_at.astimezone(self.zone).date() + WEEK
        return self._local_run(date)

    def _period(self, date: dt.date, due: dt.datetime) -> DigestPeriod:
        year, week, _ = date.isocalendar()
        start = self._local_run(date - WEEK)
        return DigestPeriod(f"{year}-W{week:02d}", due, start, due)

    def describe(self) -> str:
        """E.g. "Mondays at 09:00 America/New_York"."""
        weekday = dt.date(2024, 1, 1 + self.day).strftime("%A")  # 2024-01-01 was a Monday
        return f"{weekday}s at {self.at.strftime('%H:%M')} {self.tz}"
