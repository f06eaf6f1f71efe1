"""The SLA sweeper as a background task of the server; its notifications go through the outbox."""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.web.async_client import AsyncWebClient

from handlers.runtime.tasks import stop_within
from handlers.services import Services
from icam_bot.tracker.sweeper import Sweeper, SweepResult

logger = logging.getLogger(__name__)


class SweeperTask:
    """Runs ``Sweeper.run_forever`` on the event loop; ``stop()`` ends it cleanly (the current sweep finishes)."""

    def __init__(self, services: Services, client: AsyncWebClient, interval: float) -> None:
        tracker = services.tracker
        self.sweeper = Sweeper(tracker.sessions, tracker.programs, clock=services.clock)
        self.services = services
        self.client = client
        self.interval = interval
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _count(self, result: SweepResult) -> None:
        """Every sweeper escalation is an SLA breach (and an escalation); its messages are in the outbox."""
        if result.notifications:
            self.services.notify()
        if result.escalated:
            metrics = self.services.metrics
            metrics.sla_breaches.inc(len(result.escalated))
            metrics.items_escalated.inc(len(result.escalated))

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> SweeperTask:
        self._stop.clear()
        coro = self.sweeper.run_forever(self.interval, stop=self._stop, on_result=self._count)
        self._task = asyncio.create_task(coro, name="icam-sla-sweeper")
        logger.info("SLA sweeper started (every %.0f s)", self.interval)
        return self

    def request_stop(self) -> None:
        """Start no new sweep (``stop()`` waits for the current one)."""
        self._stop.set()

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop after the current sweep (and its deliveries); cancel it only if that takes over ``timeout`` s."""
        if self._task is None:
            return
        self._stop.set()
        await stop_within(self._task, timeout, "SLA sweeper")
        self._task = None
        logger.info("SLA sweeper stopped")
