"""Business-hours SLA arithmetic in the program's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from icam_bot.programs.calendar import BusinessCalendar, add_business_hours, business_hours_between

NY = ZoneInfo("America/New_York")
CAL = BusinessCalendar(NY, dt.time(8), dt.time(17), frozenset(range(5)), frozenset({dt.date(2026, 12, 25)}))


def ny(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (ny(2026, 3, 2, 9), 4, ny(2026, 3, 2, 13)),  # inside one day
        (ny(2026, 3, 2, 9), 24, ny(2026, 3, 4, 15)),  # 8 + 9 + 7 working hours
        (ny(2026, 3, 6, 18), 4, ny(2026, 3, 9, 12)),  # Friday evening -> Monday noon
        (ny(2026, 3, 7, 10), 1, ny(2026, 3, 9, 9)),  # Saturday -> Monday
        (ny(2026, 3, 2, 6), 2, ny(2026, 3, 2, 10)),  # before opening
        (ny(2026, 3, 2, 16), 2, ny(2026, 3, 3, 9)),  # runs over the close
        (ny(2026, 12, 24, 16), 2, ny(2026, 12, 28, 9)),  # skips the Christmas holiday and the weekend
        (ny(2026, 3, 6, 16), 2, ny(2026, 3, 9, 9)),  # across the DST change (8 March): wall-clock hours
    ],
)
def test_add_business_hours(start, hours, due):
    assert add_business_hours(start, hours, CAL) == due.astimezone(dt.UTC)


def test_result_is_utc_and_zero_hours_is_start():
    start = ny(2026, 3, 2, 9)
    assert add_business_hours(start, 0, CAL) == start
    assert add_business_hours(start, 1, CAL).tzinfo == dt.UTC


def test_naive_start_and_empty_calendar_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_hours(dt.datetime(2026, 3, 2, 9), 1, CAL)
    with pytest.raises(ValueError, match="no working time"):
        add_business_hours(ny(2026, 3, 2, 9), 1, BusinessCalendar(NY, weekdays=frozenset()))


def test_business_hours_between_counts_only_working_time():
    assert business_hours_between(ny(2026, 3, 6, 16), ny(2026, 3, 9, 10), CAL) == pytest.approx(3)
    assert business_hours_between(ny(2026, 3, 9, 10), ny(2026, 3, 6, 16), CAL) == 0
