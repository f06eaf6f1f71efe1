"""The "Mark as answer" message shortcut: a PMO member's thread reply and the thread's top question go to the
review queue as a proposed answer (issue 15)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.common.blocks import text_message
from handlers.common.guard import guarded
from handlers.common.ids import CallbackId
from handlers.common.text import plain_text
from handlers.runtime.sender import SEND_ERRORS
from handlers.services import services_of
from icam_bot.teaching.service import TeachingError

logger = logging.getLogger(__name__)

NOT_A_REPLY_TEXT = "Use *Mark as answer* on a reply in a thread: the thread's first message is the question."
NOT_PMO_TEXT = "Only replies written by ICAM PMO members can be marked as answers."
SENT_TEXT = "Sent to the review queue as a proposed answer: a PMO member turns it into a knowledge entry."


def register(app: AsyncApp) -> None:
    app.shortcut(CallbackId.MARK_AS_ANSWER)(guarded(on_mark_as_answer))


async def on_mark_as_answer(ack: AsyncAck, body: dict[str, Any], context: Any, client: AsyncWebClient) -> None:
    await ack()
    services = services_of(context)
    reply = body.get("message") or {}
    response_url = body.get("response_url")
    actor = str((body.get("user") or {}).get("id") or "")
    author = str(reply.get("user") or "")
    channel = str((body.get("channel") or {}).get("id") or "")
    thread_ts, ts = reply.get("thread_ts"), reply.get("ts")
    if not thread_ts or thread_ts == ts or not channel:
        await services.sender.respond(response_url, **text_message(NOT_A_REPLY_TEXT))
        return
    if not (services.is_pmo(author) and services.is_pmo(actor)):
        await services.sender.respond(response_url, **text_message(NOT_PMO_TEXT))
        return
    try:
        history = await client.conversations_replies(channel=channel, ts=thread_ts, limit=1)
    except SEND_ERRORS:
        logger.exception("conversations.replies failed for Mark as answer")
        await services.sender.respond(response_url, **text_message("I could not read that thread. Try again."))
        return
    top = (history.get("messages") or [{}])[0]
    question = plain_text(str(top.get("text") or ""))
    answer = plain_text(str(reply.get("text") or ""))
    if not question or not answer:
        await services.sender.respond(response_url, **text_message(NOT_A_REPLY_TEXT))
        return
    asker = str(top.get("user") or actor)
    try:
        await asyncio.to_thread(services.teaching.propose_from_thread, actor, question, asker, answer, author)
    except TeachingError as exc:
        await services.sender.respond(response_url, **text_message(str(exc)))
        return
    await services.sender.respond(response_url, **text_message(SENT_TEXT))
