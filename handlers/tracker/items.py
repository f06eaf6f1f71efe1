"""Buttons on tracker items (triage messages, DMs, the Home tab): Acknowledge, Assign to me, Escalate, Resolve."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import Session

from handlers.common.blocks import decode_value
from handlers.common.guard import guarded
from handlers.common.ids import ITEM_ACTIONS, ActionId
from handlers.runtime.sender import SEND_ERRORS
from handlers.services import Services, services_of
from handlers.tracker.blocks import error_message, item_detail_message, restricted_message, triage_message
from handlers.tracker.flows import tell_user
from handlers.tracker.modals import ReasonModalMeta, reason_modal
from icam_bot.outbox.service import enqueue_update
from icam_bot.tracker.errors import TrackerError
from icam_bot.tracker.models import Status
from icam_bot.tracker.results import ItemView
from icam_bot.tracker.service import EditHook

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    for action_id in ITEM_ACTIONS:
        app.action(action_id)(guarded(on_item_action))
    app.action(ActionId.ITEM_SHOW_DETAILS)(guarded(on_show_details))


def _item_and_actor(body: dict[str, Any], action: dict[str, Any]) -> tuple[int | None, str]:
    """The item id a button carries and who pressed it; the id is None when either is missing."""
    item_id = decode_value(action.get("value")).get("i")
    actor = str((body.get("user") or {}).get("id") or "")
    return (item_id if isinstance(item_id, int) and actor else None), actor


async def on_show_details(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    """A restricted item's details, privately, if the person may view it (the read or refusal is recorded)."""
    await ack()
    services = services_of(context)
    item_id, actor = _item_and_actor(body, action)
    if item_id is None:
        logger.warning("show-details button without an item id ignored")
        return
    try:
        reply = item_detail_message(await asyncio.to_thread(services.tracker.get, item_id, actor=actor))
    except TrackerError as exc:
        reply = error_message(exc)
    await tell_user(services, client, body, reply)


async def on_item_action(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    await ack()
    services = services_of(context)
    item_id, actor = _item_and_actor(body, action)
    if item_id is None:
        logger.warning("item button without an item id ignored")
        return
    container = body.get("container") or {}
    from_home = container.get("type") == "view"
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    message_ts = container.get("message_ts")
    action_id = action.get("action_id")
    if action_id in (ActionId.ITEM_ESCALATE, ActionId.ITEM_RESOLVE):
        meta = ReasonModalMeta(str(action_id), item_id, channel, message_ts, from_home)
        try:
            await client.views_open(trigger_id=body.get("trigger_id"), view=reason_modal(meta))
        except SEND_ERRORS:
            logger.exception("views.open failed for the reason modal")
        return
    tracker = services.tracker
    what = "acknowledged" if action_id == ActionId.ITEM_ACKNOWLEDGE else "self-assigned"
    edit = message_edit(services, channel=channel, message_ts=message_ts, from_home=from_home, what=what, actor=actor)
    try:
        if action_id == ActionId.ITEM_ACKNOWLEDGE:
            await asyncio.to_thread(tracker.set_status, item_id, Status.TRIAGED, actor=actor, edit=edit)
        else:
            await asyncio.to_thread(tracker.assign, item_id, actor, actor=actor, edit=edit)
    except TrackerError as exc:
        await tell_user(services, client, body, error_message(exc))
        return
    services.notify()
    await refresh_after_action(services, client, from_home=from_home, actor=actor)


def message_edit(
    services: Services, *, channel: str | None, message_ts: str | None, from_home: bool, what: str, actor: str
) -> EditHook | None:
    """The edit of the message whose button was pressed, showing the item's new state: an outbox row (chat.update
    by the dispatcher) written in the action's transaction. None on the Home tab or without a message."""
    if from_home or not channel or not message_ts:
        return None

    def edit(session: Session, item: ItemView) -> None:
        if services.restricted_in(channel, item.program):
            updated = restricted_message(item, last_action=what, actor=actor)
        else:
            updated = triage_message(item, what, actor)
        enqueue_update(session, channel, message_ts, updated, item_id=item.id)

    return edit


async def refresh_after_action(services: Services, client: AsyncWebClient, *, from_home: bool, actor: str) -> None:
    """Show the item's new state where the button was: a message is edited through the outbox (``message_edit``,
    delivered after ``services.notify()``); the Home tab is published again here."""
    if from_home:
        await services.hooks.publish_home(services, client, actor)
