"""The live knowledge watch as a background task of the server: every ICAM_KB_WATCH_SECONDS it looks at the
live version and, when it moved, reloads the knowledge this process answers from (worker processes watch on
their own, before each question)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from handlers.runtime.tasks import stop_within
from handlers.services import Services

logger = logging.getLogger(__name__)


class LiveKnowledgeTask:
    """Runs ``services.live.refresh`` in a thread every ``interval`` seconds until stopped."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.interval = services.live.interval_s
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> LiveKnowledgeTask:
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="icam-live-knowledge")
        return self

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.to_thread(self.services.live.refresh)
            except Exception:
                logger.exception("reloading live knowledge failed; answering from what is loaded")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)

    async def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._task is not None:
            await stop_within(self._task, timeout, "the live knowledge watch")
