"""Progress of a long index build (encoding thousands of phrasings on a first start), so a wait is visible.

By default progress goes to the log at INFO, at most every LOG_INTERVAL seconds (``serve`` logs it as JSON):
``encoding 7,499 phrasings and answers: 1,024/7,499 (13 %), ~20 s left``. Console commands on a terminal call
``show_bar`` and get a one-line bar on stderr instead. Only counts and times are reported, never the texts
(phrasings and questions can be what people asked).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TextIO

#: At most one progress log line per this many seconds.
LOG_INTERVAL = 2.0
#: At most one redraw of the terminal bar per this many seconds.
BAR_INTERVAL = 0.2
BAR_WIDTH = 30
#: The time left is estimated once this share of the work is done (the first batches also start threads).
MIN_SHARE_FOR_ETA = 0.02

_bar_stream: TextIO | None = None


def show_bar(stream: TextIO | None) -> None:
    """Draw progress as a bar on ``stream`` (a terminal) instead of log lines; None goes back to log lines."""
    global _bar_stream  # noqa: PLW0603 - one display choice per process, made by the command line
    _bar_stream = stream


def _eta(seconds: float) -> str:
    if seconds < 90:
        return f"~{max(1, round(seconds))} s left"
    return f"~{round(seconds / 60)} min left"


class Progress:
    """Reports ``done`` of ``total`` items, with the time left estimated from the share of the work done.

    ``update(done, fraction)`` takes the items done and the fraction of the *work* done (for encoding, padded
    tokens: long texts cost more than short ones), so the estimate holds while texts run short to long.
    """

    def __init__(
        self,
        what: str,
        total: int,
        log: logging.Logger,
        *,
        detail: str = "",
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        stream: TextIO | None = None,
    ) -> None:
        self.what = what
        self.total = total
        self._log = log
        self._interval = LOG_INTERVAL if interval is None else interval
        self._clock = clock
        #: Where the bar is drawn; None: log lines.
        self._stream = stream if stream is not None else _bar_stream
        self._start = self._last = clock()
        self._drawn = False
        log.info("encoding %s %s%s", f"{total:,}", what, f" ({detail})" if detail else "")

    def _line(self, done: int, fraction: float, elapsed: float) -> str:
        percent = int(100 * done / self.total) if self.total else 100
        text = f"{done:,}/{self.total:,} ({percent} %)"
        if MIN_SHARE_FOR_ETA <= fraction < 1:
            text += f", {_eta(elapsed * (1 - fraction) / fraction)}"
        return text

    def update(self, done: int, fraction: float) -> None:
        now = self._clock()
        if now - self._last < (BAR_INTERVAL if self._stream else self._interval):
            return
        self._last = now
        line = self._line(done, fraction, now - self._start)
        if self._stream is not None:
            filled = int(BAR_WIDTH * min(max(fraction, 0.0), 1.0))
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            self._stream.write(f"\rencoding {self.what} [{bar}] {line}\x1b[K")
            self._stream.flush()
            self._drawn = True
        else:
            self._log.info("encoding %s %s: %s", f"{self.total:,}", self.what, line)

    def finish(self) -> float:
        """Close the bar and log the total time; returns the seconds taken."""
        elapsed = self._clock() - self._start
        if self._drawn and self._stream is not None:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
        self._log.info("encoded %s %s in %.1f s", f"{self.total:,}", self.what, elapsed)
        return elapsed
