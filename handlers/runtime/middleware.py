"""Global middleware: inject services, and handle each Slack event exactly once (retries included)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from sqlalchemy.exc import SQLAlchemyError

from handlers.answers.questions import (
    CHANNEL_SURFACE,
    QUESTION_ID_KEY,
    RECEIVED_AT_KEY,
    SPOOLED_KEY,
    TURNED_AWAY_KEY,
    event_question,
)
from handlers.runtime.spool import SpoolFullError
from handlers.services import CONTEXT_KEY, Services
from icam_bot.inbox.service import Question

logger = logging.getLogger(__name__)


def install(app: AsyncApp, services: Services) -> None:
    """Add the middleware to ``app`` (before any listener runs).

    One middleware, not two: Bolt builds the arguments of every middleware it calls, which is a noticeable share of
    a request's CPU time at load."""

    async def services_once_per_event(
        body: dict[str, Any], request: Any, context: Any, next_: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """Inject the services, and let each Slack event through once (retries included)."""
        context[RECEIVED_AT_KEY] = time.time()  # the question-to-answer latency starts here
        context[CONTEXT_KEY] = services
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not isinstance(event_id, str) or not event_id:
            await next_()
            return None
        retry = (request.headers.get("x-slack-retry-num") or ["0"])[0]
        question = event_question(body)
        try:
            if question is not None and question.surface == CHANNEL_SURFACE:
                question = await _listened(question, context)
        except SQLAlchemyError:
            return await _database_down(event_id, retry, None, context, next_)
        if question is not None and services.answer_queue.overloaded():
            # Load shedding as for /icam ask: the listener says "busy"; the question is not stored (nobody would
            # answer it), only the event id, so a retry is not answered either.
            context[TURNED_AWAY_KEY] = True
            question = None
        try:
            if question is not None:  # stored with the event id, before the ack: answered from the store
                stored = await services.store_question(question, event_id)
                first = stored is not None
                if stored is not None:
                    context[QUESTION_ID_KEY] = stored.id
            else:
                first = await asyncio.to_thread(services.store.claim_event, event_id)
        except SQLAlchemyError:
            return await _database_down(event_id, retry, question, context, next_)
        if first:
            await next_()
            return None
        logger.info("skipping duplicate event %s (retry %s)", event_id, retry)
        return BoltResponse(status=200, body="")

    async def _listened(question: Question, context: Any) -> Question | None:
        """A channel message is a question only in a help channel, and unless it mentions the bot (then the
        app_mention event answers it)."""
        bot = context.get("bot_user_id")
        if bot and f"<@{bot}>" in question.text:
            return None
        listened = await asyncio.to_thread(services.listening.is_listened, str(question.channel_id))
        return question if listened else None

    async def _database_down(
        event_id: str, retry: str, question: Question | None, context: Any, next_: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """The database cannot record the event: handle a first delivery once per replica (the event, and the
        question it asks, written to the spool on disk before the ack and to the database when it returns); a
        redelivery this replica has not seen may have been answered by another one, so it is refused with 503
        for Slack to retry it later, as is an event the full spool cannot take."""
        if event_id in services.recent_events:
            logger.info("skipping duplicate event %s (retry %s; database unavailable)", event_id, retry)
            return BoltResponse(status=200, body="")
        if retry not in ("", "0"):
            logger.warning("database unavailable: retry %s of event %s refused with 503 for later", retry, event_id)
            return BoltResponse(status=503, body="database unavailable, retry later")
        try:
            if question is not None:
                await asyncio.to_thread(services.spool.asked, question, event_id)
                context[SPOOLED_KEY] = question.request_key
            else:
                await asyncio.to_thread(services.spool.add, "event", {"event_id": event_id})
        except (SpoolFullError, OSError):
            logger.error("database unavailable and the spool cannot take event %s: 503 for a later retry", event_id)
            return BoltResponse(status=503, body="database unavailable, retry later")
        services.recent_events.add(event_id)
        logger.warning("database unavailable: handling event %s now, recording it later", event_id)
        await next_()
        return None

    app.middleware(services_once_per_event)
