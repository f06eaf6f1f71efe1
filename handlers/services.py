"""What listeners need from the core, handed to them through Bolt's context (no globals)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from handlers.common.hooks import Hooks
from handlers.runtime.metrics import Metrics
from handlers.runtime.outbox import OutboxTask
from handlers.runtime.queue import AnswerQueue
from handlers.runtime.sender import Sender
from handlers.runtime.spool import RecentEvents, Spool
from handlers.settings import SlackSettings
from handlers.tracker.parsing import is_shared_conversation
from icam_bot.analytics.report import AnswerAnalytics
from icam_bot.answer_pool import AnswerPool
from icam_bot.answers import Responder
from icam_bot.board.service import BoardService
from icam_bot.channels.service import ListenService
from icam_bot.comms.digest_outbox import TOPIC as DIGEST_TOPIC
from icam_bot.comms.digest_outbox import settle_digest
from icam_bot.comms.outbox import POST_TOPIC as ANNOUNCEMENT_TOPIC
from icam_bot.comms.outbox import settle_hook
from icam_bot.comms.service import Communications
from icam_bot.inbox.intake import QuestionIntake
from icam_bot.inbox.service import Question, QuestionInbox, Stored
from icam_bot.knowledge.model import PROGRAMS
from icam_bot.outbox.service import Backlog, OutboxService
from icam_bot.questions.store import Store
from icam_bot.records.policy import RetentionPolicy
from icam_bot.teaching.flags import EvaluationGuard
from icam_bot.teaching.live import LiveKnowledge
from icam_bot.teaching.service import TeachingService
from icam_bot.tracker.service import TrackerService
from icam_bot.webhooks.dispatcher import WebhookDispatcher
from icam_bot.webhooks.settings import WebhookSettings

logger = logging.getLogger(__name__)

CONTEXT_KEY = "icam"
#: views.open must use the trigger_id within 3 s of the click: a busy matcher must not make the modal fail.
SUGGEST_TIMEOUT_S = 1.5


def new_replica_id() -> str:
    """``host:pid:random``, unique among the replicas sharing a database (and across restarts)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class Services:
    """The core objects shared by every listener, built once by ``create_app`` (handlers.app): nothing here is
    optional or built on first use."""

    responder: Responder
    store: Store
    slack: SlackSettings
    sender: Sender
    tracker: TrackerService
    #: Matching is CPU-bound: it runs in a worker thread, or in worker processes (ICAM_ANSWER_WORKERS) so it
    #: cannot starve the event loop that must ack within 3 s (see benchmarks/slack_load.py).
    answer_pool: AnswerPool
    #: The app's Prometheus metrics (served at /metrics); the sender counts into the same object.
    metrics: Metrics
    #: Subscriptions, announcements, the per-channel pace and the digest settings.
    comms: Communications
    #: The program status board (milestones, RAG, the enterprise view).
    board: BoardService
    #: The app's Web API client (the answer queue replies to events with it when the answer pool fails).
    client: AsyncWebClient
    #: Retention periods (ICAM_RETENTION_*): ``serve`` applies them in the background when any is set.
    retention: RetentionPolicy
    #: The time, for everything the Slack side dates (the core services built with it share it).
    clock: Callable[[], dt.datetime]
    #: What one domain's listeners ask of another's (handlers.common.hooks), wired by create_app.
    hooks: Hooks
    #: Keeps ``responder`` on the newest live knowledge (taught from Slack); refreshed by the background work.
    live: LiveKnowledge
    #: Attempts, backoff and timeout of the outbound webhooks (ICAM_WEBHOOK_*).
    webhook_settings: WebhookSettings = field(default_factory=WebhookSettings)
    #: This process among the replicas (claims in the outbox and the pending questions carry it).
    replica_id: str = field(default_factory=new_replica_id)
    #: ICAM_SPOOL_DIR: where the spool's file lives (None: in memory only).
    spool_dir: Path | None = None
    #: What this replica did while the database was down, written when it returns.
    spool: Spool = field(init=False)
    #: Events handled while the database could not record them (a redelivery is not answered twice).
    recent_events: RecentEvents = field(init=False, default_factory=RecentEvents)
    #: Questions stored before their ack (pending_questions), answered from there exactly once.
    inbox: QuestionInbox = field(init=False)
    #: Stores the questions of concurrent requests in one transaction each (group commit), before their acks.
    intake: QuestionIntake = field(init=False)
    #: Where listeners put questions; answered through the answer pool by a few consumer tasks.
    answer_queue: AnswerQueue = field(init=False)
    #: The outbox on the tracker's database, settling announcement rows with the communications' hook.
    outbox: OutboxService = field(init=False)
    #: This replica's outbox dispatcher (started by the server's background work, or on the first ``notify``).
    outbox_task: OutboxTask = field(init=False)
    #: The answer analytics (counts for anyone, the unanswered questions' text for PMO members).
    analytics: AnswerAnalytics = field(init=False)
    #: The help channels (``/icam listen``), read from the database by every replica.
    listening: ListenService = field(init=False)
    #: This replica's webhook dispatcher (started with the background work when webhooks are configured).
    webhooks: WebhookDispatcher = field(init=False)
    #: The review queue and the ways to close its rows (issue 14).
    teaching: TeachingService = field(init=False)

    def __post_init__(self) -> None:
        lease = self.lease_seconds
        self.inbox = QuestionInbox(self.store.engine, queue_lease_s=lease, answer_lease_s=2 * lease)
        self.intake = QuestionIntake(self.inbox)
        self.spool = Spool(self.store, self.spool_dir, self.replica_id, inbox=self.inbox)
        self.answer_queue = AnswerQueue(self.answer_pool, self.metrics, self.sender, self.client, spool=self.spool)
        hooks = {ANNOUNCEMENT_TOPIC: settle_hook(self.comms.pmo_channel), DIGEST_TOPIC: settle_digest}
        self.outbox = OutboxService(self.tracker.sessions, self.replica_id, hooks=hooks, lease_s=4 * lease)
        self.analytics = AnswerAnalytics(self.tracker.sessions, self.is_pmo, self.now)
        self.outbox_task = OutboxTask(
            self.outbox,
            self.sender,
            self.client,
            programs=dict(self.program_options()),
            limiter=self.comms.limiter,
            restricted=self.restricted_in,
        )
        self.listening = ListenService(self.tracker.sessions, self.clock)
        self.webhooks = WebhookDispatcher(
            self.tracker.sessions,
            self.tracker.programs,
            self.replica_id,
            self.webhook_settings,
            on_attempt=self.metrics.webhook_attempt,
        )
        self.teaching = TeachingService(
            self.store.engine, self.responder, self.tracker.programs, guard=EvaluationGuard.load(), clock=self.clock
        )

    @property
    def lease_seconds(self) -> float:
        """ICAM_LEASE_SECONDS: questions this replica acked are its own this long (answering: twice, sending: 4x)."""
        return self.slack.lease_seconds

    def answer_queue_depth(self) -> int:
        """Questions queued in this replica or being answered."""
        return len(self.answer_queue)

    async def store_question(self, question: Question, event_id: str | None = None) -> Stored | None:
        """Store a question before its ack, held by this replica; None for an event handled before.
        Committed with the questions of the other requests waiting meanwhile (QuestionIntake). Raises
        SQLAlchemyError when that commit fails (the caller answers it anyway and spools)."""
        return await self.intake.submit_async(question, self.replica_id, event_id=event_id)

    def now(self) -> dt.datetime:
        """The time by ``clock`` as it is when asked (a test may replace the clock after start-up)."""
        return self.clock()

    def is_pmo(self, user_id: str | None) -> bool:
        """PMO members: the routing file's ``pmo_members`` (which include ICAM_PMO_MEMBERS, see create_app)."""
        return bool(user_id) and self.tracker.programs.is_pmo(str(user_id))

    async def suggest_program(self, text: str) -> str:
        """The program owning the best-matching knowledge entry, else "other" (pre-selects the issue modal)."""
        if not text.strip():
            return "other"
        try:
            result = await asyncio.wait_for(self.answer_pool.match(text), SUGGEST_TIMEOUT_S)
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

    def restricted_in(self, conversation: str | None, program: str) -> bool:
        """Whether a ``program`` item must show as "ICAM-n (restricted)" in ``conversation``: a channel (not a
        direct message) and a program marked ``sensitive`` in the routing file."""
        return is_shared_conversation(conversation) and self.tracker.programs.is_sensitive(program)

    def outbox_backlog(self) -> Backlog:
        """Messages owed and not yet sent, and the oldest one's age (a database read, for metrics)."""
        return self.outbox.backlog()

    def notify(self) -> None:
        """Messages were just written to the outbox (with the change they report): deliver them now, and the
        webhooks' events written with them."""
        self.outbox_task.kick()
        self.webhooks.kick()

    async def deliver_outbox(self) -> int:
        """Deliver what is due in the outbox now, in this task (tests, the CLI); returns how many rows."""
        return await self.outbox_task.deliver_due()

    async def close(self) -> None:
        """Stop the answer consumers and the outbox, release the HTTP session and the answer pool (shutdown)."""
        await self.answer_queue.close()
        await self.outbox_task.stop()
        await self.webhooks.stop()
        await self.sender.close()
        self.answer_pool.close()
        await asyncio.to_thread(self.intake.close)
        self.spool.close()


def services_of(context: Any) -> Services:
    """The Services stored in a Bolt context by create_app's middleware."""
    services = context[CONTEXT_KEY]
    assert isinstance(services, Services)
    return services
