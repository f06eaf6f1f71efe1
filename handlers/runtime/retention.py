"""The retention job as a background task of the server: applied at start-up and every few hours."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from handlers.runtime.tasks import stop_within
from handlers.services import Services
from icam_bot.records.access import Surface
from icam_bot.retention.job import RetentionJob
from icam_bot.tracker.audit import SYSTEM_ACTOR

logger = logging.getLogger(__name__)

#: How often ``serve`` applies the retention periods (they are days long: a few runs a day is plenty).
RETENTION_INTERVAL_S = 6 * 3600.0


class RetentionTask:
    """Runs the retention job in a worker thread now and every ``interval`` seconds until stopped."""

    def __init__(self, services: Services, interval: float = RETENTION_INTERVAL_S) -> None:
        tracker = services.tracker
        self.job = RetentionJob(tracker.sessions, services.retention, clock=services.clock)
        self.interval = interval
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def maybe_start(cls, services: Services) -> RetentionTask | None:
        """Started when a retention period is configured, else None (logged)."""
        if not services.retention.enabled:
            logger.info("retention off (ICAM_RETENTION_QUESTIONS_DAYS, ICAM_RETENTION_CLOSED_ITEMS_DAYS unset)")
            return None
        logger.info("retention: %s, applied every %.0f h", services.retention.describe(), RETENTION_INTERVAL_S / 3600)
        return cls(services).start()

    async def _run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.to_thread(self.job.run, actor=SYSTEM_ACTOR, surface=Surface.SERVE)
            except Exception:
                logger.exception("retention run failed; trying again in %.0f s", self.interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval)

    def start(self) -> RetentionTask:
        self._stop.clear()
        self._task = asyncio.create_task(self._run_forever(), name="icam-retention")
        return self

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop after the current run (a run in its thread is never cut mid-transaction unless it overruns)."""
        if self._task is None:
            return
        self._stop.set()
        await stop_within(self._task, timeout, "retention run")
        self._task = None
