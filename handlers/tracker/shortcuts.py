"""The "Send to ICAM PMO" message shortcut: open the issue modal pre-filled with the message, and log it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.common.blocks import NOTHING_TO_LOG_TEXT, logged_message, text_message
from handlers.common.guard import guarded
from handlers.common.ids import CallbackId
from handlers.common.text import plain_text
from handlers.services import services_of
from handlers.tracker.flows import open_issue_modal
from handlers.tracker.modals import IssueModalMeta

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.shortcut(CallbackId.SEND_TO_PMO)(guarded(on_send_to_pmo))


async def on_send_to_pmo(ack: AsyncAck, body: dict[str, Any], context: Any, client: AsyncWebClient) -> None:
    await ack()
    services = services_of(context)
    message = body.get("message") or {}
    text = plain_text(str(message.get("text") or ""))
    response_url = body.get("response_url")
    if not text:
        await services.sender.respond(response_url, **text_message(NOTHING_TO_LOG_TEXT))
        return
    channel = (body.get("channel") or {}).get("id")
    message_ts = message.get("ts")
    permalink = None
    if isinstance(channel, str) and isinstance(message_ts, str):
        permalink = await services.sender.permalink(client, channel, message_ts)
    thread_ts = message.get("thread_ts") or message_ts
    meta = IssueModalMeta(
        channel_id=channel if isinstance(channel, str) else None, thread_ts=thread_ts, permalink=permalink
    )
    opened = await open_issue_modal(services, client, body.get("trigger_id"), text, meta)
    user = body.get("user") or {}
    await asyncio.to_thread(
        services.store.record_unanswered, text, str(user.get("id") or ""), pmo_request=True, permalink=permalink
    )
    if not opened:  # the modal could not open: at least the message is logged for the PMO
        await services.sender.respond(response_url, **logged_message(text))
