"""Events API: mentions in channels (answered in the thread) and direct messages."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.answer_job import AnswerJob
from handlers.blocks import BUSY_TEXT, text_message
from handlers.services import services_of

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.event("app_mention")(on_mention)
    app.event({"type": "message", "channel_type": "im"})(on_direct_message)


def _from_person(event: dict[str, Any]) -> bool:
    """A new message typed by a person (not a bot, not an edit/deletion/join notice)."""
    return bool(event.get("user")) and not event.get("bot_id") and not event.get("subtype")


async def on_mention(event: dict[str, Any], context: Any, client: AsyncWebClient) -> None:
    if not _from_person(event):
        return
    thread_ts = event.get("thread_ts") or event.get("ts")
    await _answer(event, context, client, surface="mention", thread_ts=thread_ts)


async def on_direct_message(event: dict[str, Any], context: Any, client: AsyncWebClient) -> None:
    if not _from_person(event):
        return
    await _answer(event, context, client, surface="dm", thread_ts=event.get("thread_ts"))


async def _answer(
    event: dict[str, Any], context: Any, client: AsyncWebClient, *, surface: str, thread_ts: str | None
) -> None:
    services = services_of(context)
    channel = event.get("channel")
    if not isinstance(channel, str):
        logger.warning("%s event without a channel ignored", surface)
        return
    if services.answer_queue.overloaded():  # the same load shedding as /icam ask: memory stays bounded
        services.metrics.questions_turned_away.inc()
        extra = {"thread_ts": thread_ts} if thread_ts else {}
        await services.sender.post_message(client, channel, **extra, **text_message(BUSY_TEXT))
        return
    # The core strips Slack markup (mentions, links, entities) itself; the text goes in as Slack sent it.
    question = str(event.get("text") or "")
    job = AnswerJob(question, str(event["user"]), channel, surface, thread_ts=thread_ts)
    services.answer_queue.start(job)
