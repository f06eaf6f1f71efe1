"""The queue between the listeners that ack questions and the answer pool that answers them.

Listeners put a small job on the queue and return at once. A listener that awaited its answer would keep
Bolt's request, context and coroutine frames alive while the answer waits; under a burst the garbage collector
walks thousands of those and the acks stall (benchmarks/slack_load.py). A few consumer tasks hand the jobs to
the answer pool, count what became of each, and send an apology if the pool itself fails.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from handlers.common.blocks import ERROR_TEXT, text_message
from handlers.runtime.metrics import Metrics
from handlers.runtime.sender import Sender
from handlers.runtime.spool import Spool, SpoolFullError
from handlers.runtime.worker import DEFERRED, QUIET_SURFACE, SKIPPED, AnswerJob, with_log_context
from icam_bot.answer_pool import AnswerPool
from icam_bot.logs import log_context

logger = logging.getLogger(__name__)

#: Answers queued beyond this are turned away at the ack with a "busy, ask again" reply (memory stays bounded).
MAX_PENDING_ANSWERS = 20_000
#: Answers in progress at once (each waits on the answer pool; more than the workers keeps them busy).
ANSWER_CONSUMERS = 4


class AnswerQueue:
    """Queued questions and the consumer tasks that answer them through ``pool``."""

    def __init__(
        self,
        pool: AnswerPool,
        metrics: Metrics,
        sender: Sender,
        client: AsyncWebClient | None,
        *,
        spool: Spool | None = None,
    ) -> None:
        self.pool = pool
        #: Question records the database did not take while answering (written when it returns).
        self.spool = spool
        self.metrics = metrics
        self.sender = sender
        #: The app's Web API client (replies to events when the answer pool itself fails).
        self.client = client
        self._queue: asyncio.Queue[AnswerJob] | None = None
        #: Stored questions (ids) waiting in this queue or being answered: not taken over again meanwhile.
        self.queued_ids: set[int] = set()
        self._consumers: list[asyncio.Task[None]] = []
        self._answering = 0

    def start(self, job: AnswerJob) -> None:
        """Queue a question (with the request's logging context); the consumers start on first use."""
        if self._queue is None:
            self._queue = asyncio.Queue()
            loop = asyncio.get_running_loop()
            # A fresh context: the consumers outlive the request that started them (see handlers.runtime.inflight).
            self._consumers = [
                loop.create_task(self._consume(), name=f"icam-answers-{n}", context=contextvars.Context())
                for n in range(ANSWER_CONSUMERS)
            ]
        if job.question_id is not None:
            self.queued_ids.add(job.question_id)
        self._queue.put_nowait(with_log_context(job))

    def __len__(self) -> int:
        return (self._queue.qsize() if self._queue is not None else 0) + self._answering

    def overloaded(self) -> bool:
        """True when so many answers are queued that a new question should be turned away at the ack."""
        queued = self._queue.qsize() if self._queue is not None else 0
        return queued >= MAX_PENDING_ANSWERS

    async def drain(self, timeout: float) -> int:
        """Wait up to ``timeout`` s for queued answers to be sent (graceful shutdown); returns how many are left."""
        if self._queue is None:
            return 0
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
        except TimeoutError:
            left = self._queue.qsize() + self._answering
            logger.warning("%d queued answer(s) not sent within %.1f s", left, timeout)
            return left
        return 0

    async def close(self) -> None:
        """Stop the consumers (queued answers not yet taken are dropped: drain first)."""
        for task in self._consumers:
            task.cancel()
        await asyncio.gather(*self._consumers, return_exceptions=True)
        self._consumers = []

    async def _consume(self) -> None:
        assert self._queue is not None
        while True:
            job = await self._queue.get()
            self._answering += 1
            try:
                with log_context(**dict(job.log_fields)):
                    await self._answer(job)
            finally:
                self._answering -= 1
                if job.question_id is not None:
                    self.queued_ids.discard(job.question_id)
                self._queue.task_done()

    async def _answer(self, job: AnswerJob) -> None:
        """Answer and reply in the pool (match, record, send); count what became of it."""
        try:
            outcome = await self.pool.run_job(job)
        except Exception:
            logger.exception("the answer pool failed (user=%s surface=%s)", job.user_id, job.surface)
            await self._reply_error(job)
            return
        if outcome.unsettled is not None and self.spool is not None:  # the answered mark, when the database is back
            question_id, owner, epoch = outcome.unsettled
            await self._spool("answered", {"question_id": question_id, "owner": owner, "epoch": epoch})
        if outcome.decision in (SKIPPED, DEFERRED):  # answered elsewhere, or later from the store
            return
        if outcome.unrecorded is not None and self.spool is not None:
            await self._spool("question", outcome.unrecorded)
        self.metrics.question(outcome.decision)
        if outcome.delivered and job.received_at:  # replied and recorded: the question-to-answer latency
            self.metrics.answered_after(time.time() - job.received_at)
        for _ in range(outcome.retries):
            self.metrics.slack_retry()
        if outcome.failed_call:
            self.metrics.slack_error(outcome.failed_call)

    async def _spool(self, kind: str, record: dict[str, Any]) -> None:
        assert self.spool is not None
        try:
            await asyncio.to_thread(self.spool.add, kind, record)
        except (SpoolFullError, OSError):
            logger.exception("spool: a %s record could not be kept", kind)

    async def _reply_error(self, job: AnswerJob) -> None:
        if job.surface == QUIET_SURFACE:
            return  # a help channel hears nothing from the bot but confident answers
        if job.response_url:
            await self.sender.respond(job.response_url, **text_message(ERROR_TEXT))
        elif job.channel_id and self.client is not None:
            extra = {"thread_ts": job.thread_ts} if job.thread_ts else {}
            await self.sender.post_message(self.client, job.channel_id, **extra, **text_message(ERROR_TEXT))
