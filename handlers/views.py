"""Modal submissions: the issue modal (create an item) and the reason modal (escalate / resolve)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.blocks.tracker import error_message, unsaved_message
from handlers.blocks.tracker_modals import IssueModalMeta, ReasonModalMeta, field_errors, field_value
from handlers.ids import ActionId, BlockId, CallbackId
from handlers.items import refresh_after_action
from handlers.parsing import new_item_from_state
from handlers.services import services_of
from icam_bot.tracker.errors import ItemValidationError, TrackerError, TrackerUnavailableError

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.view(CallbackId.ISSUE_MODAL)(on_issue_submitted)
    app.view(CallbackId.REASON_MODAL)(on_reason_submitted)


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _values(view: dict[str, Any]) -> dict[str, Any]:
    values = (view.get("state") or {}).get("values")
    return values if isinstance(values, dict) else {}


async def on_issue_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    """Field errors go back to the modal; a valid item closes it, is saved, and everyone concerned is told."""
    services = services_of(context)
    reporter = _user(body)
    new = new_item_from_state(_values(view), reporter, IssueModalMeta.load(view.get("private_metadata")))
    try:
        services.tracker.validate(new)
    except ItemValidationError as exc:
        await ack(response_action="errors", errors=field_errors(exc.errors))
        return
    await ack()
    try:
        result = await asyncio.to_thread(services.tracker.create, new)
    except TrackerUnavailableError as exc:
        await services.sender.post_message(client, reporter, **unsaved_message(exc, new.description))
        return
    except TrackerError as exc:
        await services.sender.post_message(client, reporter, **error_message(exc))
        return
    services.metrics.tracker_items_created.inc()
    await services.deliver(client, result.notifications)


async def on_reason_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    """Escalate or resolve; a refusal (or the database being down) is shown in the modal, the text kept there."""
    services = services_of(context)
    meta = ReasonModalMeta.load(view.get("private_metadata"))
    if meta is None:
        logger.warning("reason modal without valid metadata ignored")
        await ack()
        return
    actor = _user(body)
    text = field_value(_values(view), BlockId.REASON) or ""
    escalating = meta.action == ActionId.ITEM_ESCALATE
    operation = services.tracker.escalate if escalating else services.tracker.resolve
    try:
        result = await asyncio.to_thread(operation, meta.item_id, text, actor=actor)
    except ItemValidationError as exc:
        await ack(response_action="errors", errors={BlockId.REASON: "; ".join(exc.errors.values())})
        return
    except TrackerError as exc:
        await ack(response_action="errors", errors={BlockId.REASON: str(exc)[:300]})
        return
    await ack()
    (services.metrics.tracker_items_escalated if escalating else services.metrics.tracker_items_resolved).inc()
    await services.deliver(client, result.notifications)
    what = "escalated" if escalating else "resolved"
    await refresh_after_action(
        services,
        client,
        result,
        channel=meta.channel_id,
        message_ts=meta.message_ts,
        from_home=meta.from_home,
        what=what,
        actor=actor,
    )
