"""The webhook dispatcher of one replica (or of the command line): claims due deliveries and POSTs them.

Runs beside request handling under ``serve`` (woken by ``kick()`` when a change wrote deliveries, otherwise polling
for retries and rows other replicas left); a database outage pauses it, the rows wait in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import aiohttp
from sqlalchemy.orm import Session, sessionmaker

from icam_bot.programs.routing import ProgramsConfig
from icam_bot.webhooks.sender import post_event
from icam_bot.webhooks.service import CLAIM_BATCH, Attempt, Due, WebhookDeliveries
from icam_bot.webhooks.settings import WebhookSettings

logger = logging.getLogger(__name__)

POLL_S = 2.0
CONCURRENT_POSTS = 4

#: Called after each attempt: (event type, outcome: delivered | http_error | no_answer, the row's new status).
AttemptHook = Callable[[str, str, str | None], None]


class WebhookDispatcher:
    """Delivers due rows to the webhooks of ``programs``; ``kick()`` wakes it, ``stop()`` ends it."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        programs: ProgramsConfig,
        owner: str,
        settings: WebhookSettings | None = None,
        *,
        on_attempt: AttemptHook | None = None,
        poll_s: float | None = None,
    ) -> None:
        self.settings = settings or WebhookSettings()
        self.deliveries = WebhookDeliveries(sessions, owner, self.settings)
        self.targets = {target.key: target for target in programs.webhooks()}
        self.on_attempt = on_attempt
        #: Poll often enough for the first retry (a short ICAM_WEBHOOK_BACKOFF_SECONDS polls faster).
        self.poll_s = poll_s if poll_s is not None else min(POLL_S, max(self.settings.backoff_s, 0.05))
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._slots = asyncio.Semaphore(CONCURRENT_POSTS)
        self._http: aiohttp.ClientSession | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> WebhookDispatcher:
        """Start polling (only when webhooks are configured: otherwise nothing is ever owed)."""
        if self.targets and not self.running:
            self._stop.clear()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="icam-webhooks")
        return self

    def kick(self) -> None:
        if self.targets:
            self.start()
            self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._stop.set()
            self._wake.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def deliver_due(self, *, only: int | None = None) -> list[tuple[Due, Attempt, str | None]]:
        """One pass: claim due rows (``only``: that one) and POST them; returns what each attempt did."""
        rows = await asyncio.to_thread(self.deliveries.claim, CLAIM_BATCH, only=only)
        if not rows:
            return []
        if self._http is None:
            self._http = aiohttp.ClientSession()
        return list(await asyncio.gather(*(self._deliver(row) for row in rows)))

    async def _deliver(self, row: Due) -> tuple[Due, Attempt, str | None]:
        async with self._slots:
            target = self.targets.get(row.target)
            if target is None:
                attempt = Attempt(None, "webhook no longer in the routing file")
            else:
                assert self._http is not None
                attempt = await post_event(self._http, target, row.payload, self.settings.timeout_s)
            status = await asyncio.to_thread(self.deliveries.settle, row, attempt)
            if self.on_attempt is not None:
                self.on_attempt(row.event_type, attempt.outcome, status)
            return row, attempt, status

    async def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                done = len(await self.deliver_due())
            except Exception:
                logger.warning("webhooks: could not deliver (database unavailable?); deliveries wait", exc_info=True)
                done = 0
            if done >= CLAIM_BATCH:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_s)
