"""The work that runs beside request handling, started and stopped the same way in HTTP and Socket Mode: the
tracking of tasks started by requests, the SLA sweeper, the weekly digest, the retention job, the outbox
dispatcher and the take-over of abandoned questions; at stop, also the answer queue and the services."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from slack_sdk.web.async_client import AsyncWebClient

from handlers.comms.digest import DigestTask
from handlers.runtime.inflight import InFlight
from handlers.runtime.question_task import QuestionTask
from handlers.runtime.retention import RetentionTask
from handlers.services import Services
from handlers.teaching.watch import LiveKnowledgeTask
from handlers.tracker.sweep import SweeperTask

logger = logging.getLogger(__name__)

#: Threads for blocking database calls (each mostly waits on the database).
IO_THREADS = 16


def use_io_threads() -> None:
    """Database calls run in threads (``asyncio.to_thread``): give the loop enough of them that a burst of
    writes before acks (questions, submissions) and outbox records do not queue behind each other."""
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(IO_THREADS, thread_name_prefix="icam-io"))


class BackgroundWork:
    """``start()`` on the serving loop before the first request; ``stop(deadline)`` once no new request can
    arrive (HTTP: the server stopped listening; Socket Mode: disconnected). The sweeper runs only with
    ``sweep_seconds``, the digest only with ``digest_check_seconds``, retention when a period is set."""

    def __init__(
        self,
        services: Services,
        client: AsyncWebClient,
        *,
        sweep_seconds: float | None = None,
        digest_check_seconds: float | None = None,
    ) -> None:
        self.services = services
        self.client = client
        self.sweep_seconds = sweep_seconds
        self.digest_check_seconds = digest_check_seconds
        self.inflight = InFlight()
        self.sweeper: SweeperTask | None = None
        self.digest: DigestTask | None = None
        self.retention: RetentionTask | None = None
        self.questions: QuestionTask | None = None
        self.live: LiveKnowledgeTask | None = None

    async def start(self) -> None:
        use_io_threads()
        self.inflight.install()
        services = self.services
        self.sweeper = (
            SweeperTask(services, self.client, self.sweep_seconds).start() if self.sweep_seconds is not None else None
        )
        self.digest = (
            DigestTask(services, self.client, self.digest_check_seconds).start() if self.digest_check_seconds else None
        )
        self.retention = RetentionTask.maybe_start(services)
        services.webhooks.start()  # webhook events owed (when the routing file configures webhooks)
        self.live = LiveKnowledgeTask(services).start()
        services.outbox_task.start()  # also delivers what this replica (or a dead one) left in the outbox
        self.questions = QuestionTask(services).start()  # and answers the questions a dead replica left

    async def stop(self, deadline: float) -> int:
        """Finish what requests started and stop the background tasks by ``deadline`` (``time.monotonic()``),
        then close the services; returns how many tasks were abandoned. The sweeper finishes its current sweep
        (never cut mid-transaction) while started answers finish."""

        def left() -> float:
            return max(deadline - time.monotonic(), 0.0)

        if self.questions is not None:
            await self.questions.stop()
        if self.sweeper is not None:
            self.sweeper.request_stop()  # no new sweep starts
        if self.digest is not None:
            await self.digest.stop(timeout=max(left(), 1.0))
        if self.retention is not None:
            await self.retention.stop(timeout=max(left(), 1.0))
        if self.live is not None:
            await self.live.stop(timeout=max(left(), 1.0))
        sweeper_stopped = (
            asyncio.ensure_future(self.sweeper.stop(timeout=max(left(), 1.0))) if self.sweeper is not None else None
        )
        abandoned = await self.inflight.drain(left())
        abandoned += await self.services.answer_queue.drain(left())
        self.inflight.uninstall()
        if sweeper_stopped is not None:
            await sweeper_stopped
        await self.services.close()
        logger.info("stopped serving: %s", "all work finished" if not abandoned else f"{abandoned} task(s) abandoned")
        return abandoned
