"""The review queue's buttons: close a row with a candidate entry, open the forms, dismiss, decide drafts."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.common.blocks import decode_value, text_message
from handlers.common.guard import guarded
from handlers.common.ids import GAP_ENTRY_PATTERN, ActionId
from handlers.runtime.sender import SEND_ERRORS
from handlers.services import Services, services_of
from handlers.teaching.blocks import AnswerDraft, GapMeta, answer_modal, entry_search_modal, not_icam_modal
from icam_bot.knowledge.model import PROGRAMS
from icam_bot.teaching.queue import QueueRow
from icam_bot.teaching.service import Outcome, TeachingError

logger = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.action(GAP_ENTRY_PATTERN)(guarded(on_gap_entry))
    app.action(ActionId.GAP_FIND_ENTRY)(guarded(on_open_form))
    app.action(ActionId.GAP_NEW_ANSWER)(guarded(on_open_form))
    app.action(ActionId.GAP_NOT_ICAM)(guarded(on_open_form))
    app.action(ActionId.GAP_IGNORE)(guarded(on_ignore))
    app.action(ActionId.DRAFT_APPROVE)(guarded(on_draft))
    app.action(ActionId.DRAFT_REJECT)(guarded(on_draft))


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


async def tell(services: Services, client: AsyncWebClient, body: dict[str, Any], text: str) -> None:
    """Confirm privately to whoever acted: ephemeral when the button was on a message, else a DM (Home tab);
    the Home tab is re-published either way (the row left the queue)."""
    user = _user(body)
    if body.get("response_url"):
        await services.sender.respond(body["response_url"], replace_original=False, **text_message(text))
    elif user:
        await services.sender.post_message(client, user, **text_message(text))
    if user:
        await services.hooks.publish_home(services, client, user)


async def run_action(services: Services, client: AsyncWebClient, body: dict[str, Any], fn: Any, *args: Any) -> None:
    """Run a teaching action in a thread; confirm its outcome (or its refusal) and deliver what it owes."""
    try:
        outcome: Outcome = await asyncio.to_thread(fn, *args)
    except TeachingError as exc:
        await tell(services, client, body, str(exc))
        return
    if outcome.notified:
        services.notify()
    if outcome.live:
        await asyncio.to_thread(services.live.refresh, force=True)
    await tell(services, client, body, outcome.message)


async def on_gap_entry(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    await ack()
    services = services_of(context)
    value = decode_value(action.get("value"))
    key, entry_id = str(value.get("k") or ""), str(value.get("e") or "")
    await run_action(services, client, body, services.teaching.close_with_entry, _user(body), key, entry_id)


async def on_ignore(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    await ack()
    services = services_of(context)
    key = str(decode_value(action.get("value")).get("k") or "")
    await run_action(services, client, body, services.teaching.ignore, _user(body), key)


async def on_draft(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    await ack()
    services = services_of(context)
    change_id = decode_value(action.get("value")).get("c")
    if not isinstance(change_id, int):
        return
    approve = action.get("action_id") == ActionId.DRAFT_APPROVE
    fn = services.teaching.approve if approve else services.teaching.reject
    await run_action(services, client, body, fn, _user(body), change_id)


async def on_open_form(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    """Open the form of "Another entry…", "New answer" or "Not ICAM" for the row."""
    await ack()
    services = services_of(context)
    user, key = _user(body), str(decode_value(action.get("value")).get("k") or "")
    try:
        row = await asyncio.to_thread(services.teaching.find, user, key)
    except TeachingError as exc:
        await tell(services, client, body, str(exc))
        return
    if row is None:
        await tell(services, client, body, "That row was already closed.")
        return
    channel = str((body.get("channel") or {}).get("id") or "")
    meta = GapMeta(key=key, response_url=str(body.get("response_url") or ""), channel=channel)
    action_id = action.get("action_id")
    if action_id == ActionId.GAP_FIND_ENTRY:
        view = entry_search_modal(meta, row.question)
    elif action_id == ActionId.GAP_NOT_ICAM:
        redirects = [(r.id, r.topic) for r in services.responder.kb.redirects]
        view = not_icam_modal(meta, row.question, redirects)
    else:
        view = answer_modal(meta, new_answer_draft(row), category_options(services), PROGRAMS)
    try:
        await client.views_open(trigger_id=body.get("trigger_id"), view=view)
    except SEND_ERRORS:
        services.metrics.slack_error("views.open")
        logger.exception("views.open failed for a teaching form")


def new_answer_draft(row: QueueRow) -> AnswerDraft:
    """The "New answer" form for a row: its question, its other wordings, a proposed answer if any."""
    others = [q for q in row.questions if q != row.question]
    return AnswerDraft(
        question=row.question,
        answer=row.proposal.text if row.proposal else "",
        alternates="\n".join(others),
    )


def category_options(services: Services) -> list[tuple[str, str]]:
    return [(c.slug, c.title) for c in services.responder.kb.categories]
