"""Events API: mentions in channels (answered in the thread) and direct messages."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.answers.blocks import BUSY_TEXT
from handlers.answers.questions import (
    CHANNEL_SURFACE,
    QUESTION_ID_KEY,
    SPOOLED_KEY,
    TURNED_AWAY_KEY,
    answer_job,
    event_question,
    received_at,
)
from handlers.common.blocks import text_message
from handlers.services import services_of

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.event("app_mention")(on_mention)
    app.event({"type": "message", "channel_type": "im"})(on_direct_message)
    app.event({"type": "message", "channel_type": "channel"})(on_channel_message)


async def on_mention(body: dict[str, Any], context: Any, client: AsyncWebClient) -> None:
    await _answer(body, context, client)


async def on_direct_message(body: dict[str, Any], context: Any, client: AsyncWebClient) -> None:
    await _answer(body, context, client)


async def on_channel_message(body: dict[str, Any], context: Any, client: AsyncWebClient) -> None:
    """A message in a public channel the bot is in: answered only in a help channel, only a top-level message by
    a person, and only when confident (the answer worker decides); the middleware stored it if it is one."""
    if context.get(QUESTION_ID_KEY) is None:
        return  # not a help channel, a thread reply, a bot, an edit, a mention, a busy queue: silence
    await _answer(body, context, client)


async def _answer(body: dict[str, Any], context: Any, client: AsyncWebClient) -> None:
    """Queue the answer to the question the middleware stored before the ack (with the database down it wrote
    the question to the spool instead: answered from the store when the database returns)."""
    services = services_of(context)
    question = event_question(body)
    if question is None:
        return
    if question.surface == CHANNEL_SURFACE and context.get(QUESTION_ID_KEY) is None:
        return  # a help channel's message is answered from the store only, and never with "busy" or an apology
    if context.get(TURNED_AWAY_KEY):  # the answer queue is full (the middleware did not store the question)
        services.metrics.questions_turned_away.inc()
        extra = {"thread_ts": question.thread_ts} if question.thread_ts else {}
        assert question.channel_id is not None  # event_question requires a channel
        await services.sender.post_message(client, question.channel_id, **extra, **text_message(BUSY_TEXT))
        return
    if context.get(SPOOLED_KEY):  # the database is down: answered from the store once the spool is written
        return
    question_id = context.get(QUESTION_ID_KEY)
    owner = services.replica_id if question_id is not None else None
    job = answer_job(
        question,
        question_id,
        owner,
        services.lease_seconds,
        received_at=received_at(context),
    )
    services.answer_queue.start(job)
