"""Events API: mentions in channels (answered in the thread) and direct messages."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.questions import QUESTION_ID_KEY, answer_job, event_question
from handlers.services import services_of

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.event("app_mention")(on_mention)
    app.event({"type": "message", "channel_type": "im"})(on_direct_message)


async def on_mention(body: dict[str, Any], context: Any) -> None:
    await _answer(body, context)


async def on_direct_message(body: dict[str, Any], context: Any) -> None:
    await _answer(body, context)


async def _answer(body: dict[str, Any], context: Any) -> None:
    """Queue the answer to the question the middleware stored before the ack (or, with the database down, to
    the question as it came: its record then waits in the spool)."""
    services = services_of(context)
    question = event_question(body)
    if question is None:
        return
    question_id = context.get(QUESTION_ID_KEY)
    owner = services.replica_id if question_id is not None else None
    services.answer_queue.start(answer_job(question, question_id, owner, services.lease_seconds))
