"""What listeners need from the core, handed to them through Bolt's context (no globals)."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from handlers.blocks import answer_message
from handlers.sender import Sender
from handlers.settings import SlackSettings
from icam_bot.answers import Reply, Responder
from icam_bot.db.store import Store

logger = logging.getLogger(__name__)

CONTEXT_KEY = "icam"
WORK_SLOTS = 4


@dataclass
class Services:
    """The core objects shared by every listener."""

    responder: Responder
    store: Store
    slack: SlackSettings
    sender: Sender
    #: Matching is CPU-bound and holds the GIL much of the time: one worker thread keeps it from starving the
    #: event loop, so acks stay fast under load while answers queue (see benchmarks/slack_load.py).
    matcher_pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="icam-match")
    )

    #: Work started after an ack (match, record, send) runs at most this many at a time; the rest wait
    #: cheaply, so a burst queues instead of flooding the event loop that must keep acking within 3 s.
    work_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(WORK_SLOTS))

    async def answer(self, question: str, user_id: str, channel_id: str | None, surface: str) -> dict[str, Any]:
        """Answer a question, record it (and it being unanswered), and build the reply message."""
        loop = asyncio.get_running_loop()
        reply = await loop.run_in_executor(self.matcher_pool, self.responder.ask, question)
        log_id = await asyncio.to_thread(self._record, reply, user_id, channel_id, surface)
        return answer_message(reply, log_id)

    async def close(self) -> None:
        """Release the HTTP session and the matcher thread (on server shutdown)."""
        await self.sender.close()
        self.matcher_pool.shutdown(wait=False, cancel_futures=True)

    def _record(self, reply: Reply, user_id: str, channel_id: str | None, surface: str) -> int | None:
        if reply.reason in ("empty", "no_words"):
            return None
        try:
            log_id = self.store.log_question(
                user_id=user_id,
                channel_id=channel_id,
                surface=surface,
                text=reply.question,
                decision=reply.decision.value,
                entry_id=reply.entry.id if reply.entry else None,
                score=reply.score,
            )
            if reply.can_log:
                self.store.record_unanswered(reply.question, user_id)
        except SQLAlchemyError:
            logger.exception("could not record a question (user=%s surface=%s)", user_id, surface)
            return None
        return log_id


def services_of(context: Any) -> Services:
    """The Services stored in a Bolt context by create_app's middleware."""
    services = context[CONTEXT_KEY]
    assert isinstance(services, Services)
    return services
