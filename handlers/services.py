"""What listeners need from the core, handed to them through Bolt's context (no globals)."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from handlers.answer_job import AnswerJob, AnswerOutcome, make_answer_worker, with_log_context
from handlers.blocks import ERROR_TEXT, text_message
from handlers.blocks.tracker import notification_message
from handlers.metrics import Metrics
from handlers.sender import Sender
from handlers.settings import SlackSettings
from icam_bot.answer_pool import AnswerPool
from icam_bot.answers import Responder
from icam_bot.board.service import BoardService
from icam_bot.comms.service import Communications
from icam_bot.db.store import Store
from icam_bot.knowledge.model import PROGRAMS
from icam_bot.logs import log_context
from icam_bot.tracker.results import Notification
from icam_bot.tracker.service import TrackerService

logger = logging.getLogger(__name__)

CONTEXT_KEY = "icam"
#: Answers queued beyond this are turned away at the ack with a "busy, ask again" reply (memory stays bounded).
MAX_PENDING_ANSWERS = 20_000
#: Answers in progress at once (each waits on the answer pool; more than the workers keeps them busy).
ANSWER_CONSUMERS = 4
#: views.open must use the trigger_id within 3 s of the click: a busy matcher must not make the modal fail.
SUGGEST_TIMEOUT_S = 1.5


@dataclass
class Services:
    """The core objects shared by every listener."""

    responder: Responder
    store: Store
    slack: SlackSettings
    sender: Sender
    tracker: TrackerService
    #: Matching is CPU-bound: it runs in a worker thread, or in worker processes (ICAM_ANSWER_WORKERS) so it
    #: cannot starve the event loop that must ack within 3 s (see benchmarks/slack_load.py).
    answers: AnswerPool | None = None
    #: The app's Prometheus metrics (served at /metrics); the sender counts into the same object.
    metrics: Metrics = field(default_factory=Metrics)
    #: Subscriptions, announcements, the per-channel pace and the digest settings (create_app builds them).
    comms: Communications | None = None
    #: The program status board (milestones, RAG, the enterprise view; create_app builds it).
    board: BoardService | None = None
    #: The app's Web API client (replies to events when the answer pool itself fails).
    client: AsyncWebClient | None = None
    _queue: asyncio.Queue[AnswerJob] | None = field(default=None, repr=False)
    _consumers: list[asyncio.Task[None]] = field(default_factory=list, repr=False)
    _answering: int = field(default=0, repr=False)

    def start_answer(self, job: AnswerJob) -> None:
        """Queue a question for the answer consumers; the listener returns at once.

        The queue holds only the jobs (small tuples). A listener that awaited its answer would keep Bolt's
        request, context and coroutine frames alive while the answer waits; under a burst the garbage
        collector walks thousands of those and the acks stall (benchmarks/slack_load.py).
        """
        if self._queue is None:
            self._queue = asyncio.Queue()
            loop = asyncio.get_running_loop()
            # A fresh context: the consumers outlive the request that started them (see handlers.inflight).
            self._consumers = [
                loop.create_task(self._consume(), name=f"icam-answers-{n}", context=contextvars.Context())
                for n in range(ANSWER_CONSUMERS)
            ]
        self._queue.put_nowait(with_log_context(job))

    def overloaded(self) -> bool:
        """True when so many answers are queued that a new question should be turned away at the ack."""
        queued = self._queue.qsize() if self._queue is not None else 0
        return queued >= MAX_PENDING_ANSWERS

    async def drain_answers(self, timeout: float) -> int:
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

    async def _consume(self) -> None:
        assert self._queue is not None
        while True:
            job = await self._queue.get()
            self._answering += 1
            try:
                await self.answer(job)
            finally:
                self._answering -= 1
                self._queue.task_done()

    async def answer(self, job: AnswerJob) -> None:
        """Answer a question and reply (in an answer worker: match, record, send); count what became of it."""
        with log_context(**dict(job.log_fields)):
            await self._answer(job)

    async def _answer(self, job: AnswerJob) -> None:
        try:
            outcome: AnswerOutcome = await self.pool.run_job(job)
        except Exception:
            logger.exception("the answer pool failed (user=%s surface=%s)", job.user_id, job.surface)
            await self._reply_error(job)
            return
        self.metrics.question(outcome.decision)
        for _ in range(outcome.retries):
            self.metrics.slack_retry()
        if outcome.failed_call:
            self.metrics.slack_error(outcome.failed_call)

    async def _reply_error(self, job: AnswerJob) -> None:
        if job.response_url:
            await self.sender.respond(job.response_url, **text_message(ERROR_TEXT))
        elif job.channel_id and self.client is not None:
            extra = {"thread_ts": job.thread_ts} if job.thread_ts else {}
            await self.sender.post_message(self.client, job.channel_id, **extra, **text_message(ERROR_TEXT))

    @property
    def pool(self) -> AnswerPool:
        """The answer pool (an in-process thread unless create_app was given worker processes)."""
        if self.answers is None:
            self.answers = AnswerPool(self.responder, job_runner=make_answer_worker, store=self.store)
        return self.answers

    @property
    def program_board(self) -> BoardService:
        """The board, built on first use from the tracker's database, routing and clock when create_app did not."""
        if self.board is None:
            self.board = BoardService(self.tracker.sessions, self.tracker.programs, clock=self.tracker.clock)
        return self.board

    @property
    def communications(self) -> Communications:
        assert self.comms is not None, "create_app sets up communications"
        return self.comms

    def is_pmo(self, user_id: str | None) -> bool:
        """PMO members: the routing file's ``pmo_members`` (which include ICAM_PMO_MEMBERS, see create_app)."""
        return bool(user_id) and self.tracker.programs.is_pmo(str(user_id))

    async def suggest_program(self, text: str) -> str:
        """The program owning the best-matching knowledge entry, else "other" (pre-selects the issue modal)."""
        if not text.strip():
            return "other"
        try:
            result = await asyncio.wait_for(self.pool.match(text), SUGGEST_TIMEOUT_S)
        except TimeoutError:
            logger.warning("no program suggestion within %.1f s (matcher busy): pre-selecting other", SUGGEST_TIMEOUT_S)
            return "other"
        except Exception:
            logger.exception("matching failed while suggesting a program")
            return "other"
        entry = self.responder.entry(result.candidates[0].entry_id) if result.candidates else None
        return entry.owner if entry is not None and entry.owner in PROGRAMS else "other"

    def program_options(self) -> list[tuple[str, str]]:
        """(slug, name) of every component program, for the modal's program select."""
        return [(slug, routing.name) for slug, routing in self.tracker.programs.programs.items()]

    async def deliver(self, client: AsyncWebClient, notifications: Iterable[Notification]) -> None:
        """Send tracker notifications: a DM to a user id (chat.postMessage opens it) or a channel message."""
        for note in notifications:
            await self.sender.post_message(client, note.recipient, **notification_message(note))

    async def close(self) -> None:
        """Stop the answer consumers, release the HTTP session and the answer pool (on server shutdown)."""
        for task in self._consumers:
            task.cancel()
        await asyncio.gather(*self._consumers, return_exceptions=True)
        self._consumers = []
        await self.sender.close()
        if self.answers is not None:
            self.answers.close()


def services_of(context: Any) -> Services:
    """The Services stored in a Bolt context by create_app's middleware."""
    services = context[CONTEXT_KEY]
    assert isinstance(services, Services)
    return services
