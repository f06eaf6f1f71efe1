"""Modal submissions: the issue modal (create an item) and the reason modal (escalate / resolve)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.common.forms import field_value
from handlers.common.guard import guarded
from handlers.common.ids import ActionId, BlockId, CallbackId
from handlers.services import services_of
from handlers.tracker.blocks import unsaved_submission_message
from handlers.tracker.items import message_edit, refresh_after_action
from handlers.tracker.modals import IssueModalMeta, ReasonModalMeta, field_errors, logged_modal
from handlers.tracker.parsing import new_item_from_state
from icam_bot.tracker.errors import ItemValidationError, TrackerError, TrackerNotSavedError
from icam_bot.tracker.idempotency import content_key, view_key
from icam_bot.tracker.submission import NewItem

logger = logging.getLogger(__name__)

#: How long the issue form waits for its item to be written before it must ack (Slack allows 3 s in all, and
#: Bolt counts from the listener's start: keep a margin for a busy event loop).
WRITE_BEFORE_ACK_S = 1.5


def register(app: AsyncApp) -> None:
    app.view(CallbackId.ISSUE_MODAL)(guarded(on_issue_submitted))
    app.view(CallbackId.REASON_MODAL)(guarded(on_reason_submitted))


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _values(view: dict[str, Any]) -> dict[str, Any]:
    values = (view.get("state") or {}).get("values")
    return values if isinstance(values, dict) else {}


async def on_issue_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    """Field errors go back to the form. The item is written before the ack when the database answers within
    Slack's 3 s (a failure then shows on the form, which keeps the text); a slower write closes the form first
    and any failure after that sends the reporter the whole submission back. A re-submitted form (same view
    id, or same person, text and minute) finds the stored item instead of creating another."""
    services = services_of(context)
    reporter = _user(body)
    new = new_item_from_state(_values(view), reporter, IssueModalMeta.load(view.get("private_metadata")))
    try:
        services.tracker.validate(new)
    except ItemValidationError as exc:
        await ack(response_action="errors", errors=field_errors(exc.errors))
        return
    keys = submission_keys(view.get("id"), new, services.clock())
    writing = asyncio.ensure_future(asyncio.to_thread(services.tracker.create, new, keys=keys))
    done, _ = await asyncio.wait({writing}, timeout=WRITE_BEFORE_ACK_S)
    if done:
        try:
            result = writing.result()
        except ItemValidationError as exc:
            await ack(response_action="errors", errors=field_errors(exc.errors))
            return
        except Exception as exc:
            logger.exception("the new item was not saved (reporter=%s); the form stays open", reporter)
            await ack(response_action="errors", errors={BlockId.DESCRIPTION: not_saved_on_form(exc)})
            return
        await ack(**({"response_action": "update", "view": logged_modal(result.item)} if result.duplicate else {}))
    else:
        await ack()  # the database is slow: close the form in time, finish the write after
        try:
            result = await writing
        except Exception as exc:
            logger.exception("the new item was not saved after its form closed (reporter=%s)", reporter)
            await services.sender.post_message(client, reporter, **unsaved_submission_message(new, reason_of(exc)))
            return
    if result.duplicate:
        return
    services.metrics.items_opened.inc()
    services.notify()


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
    what = "escalated" if escalating else "resolved"
    edit = message_edit(
        services,
        channel=meta.channel_id,
        message_ts=meta.message_ts,
        from_home=meta.from_home,
        what=what,
        actor=actor,
    )
    key = view_key("escalate" if escalating else "resolve", view.get("id"))
    try:
        result = await asyncio.to_thread(
            operation, meta.item_id, text, actor=actor, keys=(key,) if key else (), edit=edit
        )
    except ItemValidationError as exc:
        await ack(response_action="errors", errors={BlockId.REASON: "; ".join(exc.errors.values())})
        return
    except TrackerError as exc:
        await ack(response_action="errors", errors={BlockId.REASON: str(exc)[:300]})
        return
    except Exception as exc:  # never leave the person without an answer: the form keeps the text
        logger.exception("the %s of ICAM-%d failed", meta.action, meta.item_id)
        await ack(response_action="errors", errors={BlockId.REASON: not_saved_on_form(exc)})
        return
    if result.duplicate:
        await ack()
        return
    await ack()
    (services.metrics.items_escalated if escalating else services.metrics.items_resolved).inc()
    services.notify()
    await refresh_after_action(services, client, from_home=meta.from_home, actor=actor)


def submission_keys(view_id: object, new: NewItem, now: dt.datetime) -> tuple[str, ...]:
    """What identifies one submission: the form's view id, and who + what + the minute."""
    by_content = content_key("issue", now, new.reporter_id, new.title.strip(), new.description.strip())
    by_view = view_key("issue", view_id)
    return (by_view, by_content) if by_view else (by_content,)


def reason_of(exc: BaseException) -> str:
    """Why a write failed, in words safe to show the person."""
    if isinstance(exc, TrackerNotSavedError | TrackerError):
        return str(exc)
    return "an unexpected error stopped it"


def not_saved_on_form(exc: BaseException) -> str:
    return f"Not saved: {reason_of(exc)}. What you wrote is still here; submit again in a minute."[:300]
