"""The digest schedule: the period due at a moment, its week, the next run, across a DST change."""

from __future__ import annotations

import datetime as dt

from icam_bot.comms.schedule import DigestSchedule

MONDAYS_9AM_NY = DigestSchedule(0, dt.time(9, 0), "America/New_York")
#: Monday 2 March 2026 09:00 EST = 14:00 UTC.
DUE = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)


def test_the_period_is_due_exactly_at_the_local_time():
    period = MONDAYS_9AM_NY.period(DUE)
    assert period.key == "2026-W10"
    assert period.due_at == DUE
    assert (period.start, period.end) == (DUE - dt.timedelta(days=7), DUE)


def test_a_second_before_the_due_time_is_still_the_previous_period():
    period = MONDAYS_9AM_NY.period(DUE - dt.timedelta(seconds=1))
    assert period.key == "2026-W09"
    assert period.due_at == DUE - dt.timedelta(days=7)


def test_later_in_the_week_is_the_same_period_and_the_next_run_is_next_monday():
    friday = DUE + dt.timedelta(days=4, hours=3)
    assert MONDAYS_9AM_NY.period(friday).key == "2026-W10"
    # 8 March 2026 US clocks go forward: 9:00 EDT on 9 March is 13:00 UTC
    assert MONDAYS_9AM_NY.next_due(friday) == dt.datetime(2026, 3, 9, 13, 0, tzinfo=dt.UTC)


def test_the_week_across_the_dst_change_is_167_hours():
    period = MONDAYS_9AM_NY.period(dt.datetime(2026, 3, 9, 13, 0, tzinfo=dt.UTC))
    assert period.key == "2026-W11"
    assert period.end - period.start == dt.timedelta(hours=167)


def test_other_day_time_and_zone():
    friday_1630_paris = DigestSchedule(4, dt.time(16, 30), "Europe/Paris")
    now = dt.datetime(2026, 6, 5, 14, 30, tzinfo=dt.UTC)  # Friday 16:30 CEST
    assert friday_1630_paris.period(now).due_at == now
    assert friday_1630_paris.describe() == "Fridays at 16:30 Europe/Paris"
