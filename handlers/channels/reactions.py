"""The ticket reaction (ICAM_TICKET_REACTION, default ``ticket``) on a message: an ephemeral "create an item from
this message?" to the person who reacted; Create makes one tracker item (reporter: that person; a link back to the
message), Cancel makes none, and a message already tracked is never tracked twice."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.channels.blocks import CANCELLED, MESSAGE_GONE, confirm_ticket_message, created_message
from handlers.common.blocks import decode_value
from handlers.common.guard import guarded
from handlers.common.ids import ActionId
from handlers.common.text import plain_text
from handlers.services import Services, services_of
from icam_bot.channels.tickets import reaction_key, ticket_from_message, tracked_ref
from icam_bot.programs.routing import USER_RE
from icam_bot.tracker.results import CreateResult

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.event("reaction_added")(on_reaction_added)
    app.action(ActionId.REACTION_TICKET_CREATE)(guarded(on_create))
    app.action(ActionId.REACTION_TICKET_CANCEL)(guarded(on_cancel))


async def on_reaction_added(event: dict[str, Any], context: Any, client: AsyncWebClient) -> None:
    services = services_of(context)
    reaction = services.slack.ticket_reaction
    item = event.get("item") or {}
    user, channel, ts = str(event.get("user") or ""), item.get("channel"), item.get("ts")
    if reaction is None or event.get("reaction") != reaction or item.get("type") != "message":
        return
    if not USER_RE.match(user) or not isinstance(channel, str) or not isinstance(ts, str):
        return
    if user == context.get("bot_user_id"):
        return
    ref = await asyncio.to_thread(tracked_ref, services.tracker.sessions, channel, ts)
    if ref is not None:
        await _ephemeral(client, channel, user, created_message(ref, duplicate=True))
        return
    found = await _message(client, channel, ts)
    preview = plain_text(str(found.get("text") or "")) if found else ""
    await _ephemeral(client, channel, user, confirm_ticket_message(channel, ts, preview, reaction))


async def on_create(ack: AsyncAck, body: dict[str, Any], context: Any, client: AsyncWebClient) -> None:
    await ack()
    services = services_of(context)
    user = str((body.get("user") or {}).get("id") or "")
    value = decode_value(((body.get("actions") or [{}])[0]).get("value"))
    channel, ts = value.get("c"), value.get("t")
    response_url = body.get("response_url")
    if not isinstance(channel, str) or not isinstance(ts, str) or not USER_RE.match(user):
        await services.sender.respond(response_url, replace_original=True, **MESSAGE_GONE)
        return
    ref = await asyncio.to_thread(tracked_ref, services.tracker.sessions, channel, ts)
    if ref is not None:
        await services.sender.respond(response_url, replace_original=True, **created_message(ref, duplicate=True))
        return
    found = await _message(client, channel, ts)
    if found is None:
        await services.sender.respond(response_url, replace_original=True, **MESSAGE_GONE)
        return
    text = plain_text(str(found.get("text") or ""), drop_user=context.get("bot_user_id"))
    result = await _create(services, client, user, (channel, ts), text)
    await services.sender.respond(
        response_url, replace_original=True, **created_message(result.item.ref, duplicate=result.duplicate)
    )


async def on_cancel(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    await ack()
    await services_of(context).sender.respond(body.get("response_url"), replace_original=True, **CANCELLED)


async def _create(
    services: Services, client: AsyncWebClient, user: str, where: tuple[str, str], text: str
) -> CreateResult:
    """Create the item for the message ``where`` (channel, ts), once: a second creation finds the first item."""
    channel, ts = where
    permalink = await services.sender.permalink(client, channel, ts)
    program = await services.suggest_program(text)
    new = ticket_from_message(text, user, channel, ts, permalink=permalink, program=program)
    result = await asyncio.to_thread(services.tracker.create, new, keys=(reaction_key(channel, ts),))
    if not result.duplicate:
        services.metrics.items_opened.inc()
        logger.info("%s created from a reaction (channel=%s)", result.item.ref, channel)
    services.notify()  # the reporter's confirmation, the owner's and the triage channel's messages, the webhooks
    return result


async def _message(client: AsyncWebClient, channel: str, ts: str) -> dict[str, Any] | None:
    """The message ``ts`` in ``channel``: top-level (conversations.history) or a reply (conversations.replies)."""
    try:
        found = await client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
        for message in found.get("messages") or []:
            if message.get("ts") == ts:
                return dict(message)
        thread = await client.conversations_replies(channel=channel, ts=ts, latest=ts, inclusive=True, limit=1)
        for message in thread.get("messages") or []:
            if message.get("ts") == ts:
                return dict(message)
    except SlackApiError as exc:
        logger.warning("could not read message %s in %s: %s", ts, channel, exc.response.get("error"))
    return None


async def _ephemeral(client: AsyncWebClient, channel: str, user: str, payload: dict[str, Any]) -> None:
    try:
        await client.chat_postEphemeral(channel=channel, user=user, **payload)
    except SlackApiError as exc:
        logger.warning("chat.postEphemeral to %s in %s failed: %s", user, channel, exc.response.get("error"))
