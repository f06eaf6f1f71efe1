"""What listeners need from the core, handed to them through Bolt's context (no globals)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from handlers.answer_job import make_answer_worker
from handlers.answer_queue import AnswerQueue
from handlers.blocks.tracker import notification_message
from handlers.metrics import Metrics
from handlers.parsing import is_shared_conversation
from handlers.sender import Sender
from handlers.settings import SlackSettings
from icam_bot.answer_pool import AnswerPool
from icam_bot.answers import Responder
from icam_bot.board.service import BoardService
from icam_bot.comms.service import Communications
from icam_bot.db.store import Store
from icam_bot.knowledge.model import PROGRAMS
from icam_bot.records.policy import RetentionPolicy
from icam_bot.tracker.results import Notification
from icam_bot.tracker.service import TrackerService

logger = logging.getLogger(__name__)

CONTEXT_KEY = "icam"
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
    #: The app's Web API client (the answer queue replies to events with it when the answer pool fails).
    client: AsyncWebClient | None = None
    #: Retention periods (ICAM_RETENTION_*): ``serve`` applies them in the background when any is set.
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    _answer_queue: AnswerQueue | None = field(default=None, repr=False)

    @property
    def answer_queue(self) -> AnswerQueue:
        """Where listeners put questions; answered through the answer pool by a few consumer tasks."""
        if self._answer_queue is None:
            self._answer_queue = AnswerQueue(self.pool, self.metrics, self.sender, self.client)
        return self._answer_queue

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
            restricted = self.restricted_in(note.recipient, note.item.program)
            await self.sender.post_message(client, note.recipient, **notification_message(note, restricted=restricted))

    def restricted_in(self, conversation: str | None, program: str) -> bool:
        """Whether a ``program`` item must show as "ICAM-n (restricted)" in ``conversation``: a channel (not a
        direct message) and a program marked ``sensitive`` in the routing file."""
        return is_shared_conversation(conversation) and self.tracker.programs.is_sensitive(program)

    async def close(self) -> None:
        """Stop the answer consumers, release the HTTP session and the answer pool (on server shutdown)."""
        if self._answer_queue is not None:
            await self._answer_queue.close()
        await self.sender.close()
        if self.answers is not None:
            self.answers.close()


def services_of(context: Any) -> Services:
    """The Services stored in a Bolt context by create_app's middleware."""
    services = context[CONTEXT_KEY]
    assert isinstance(services, Services)
    return services
