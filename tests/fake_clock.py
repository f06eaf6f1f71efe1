"""The injectable clock the tests move by hand (importable as ``fake_clock`` from every test directory)."""

from __future__ import annotations

import datetime as dt

#: Monday 2 March 2026, 09:00 in New York (EST, UTC-5): the start of a working day.
MONDAY_9AM = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)


class Clock:
    """An injectable clock tests move by hand."""

    def __init__(self, now: dt.datetime = MONDAY_9AM) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now
