"""Steps several listeners share: opening the issue modal, and replying when a tracker action is refused."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from handlers.runtime.sender import SEND_ERRORS
from handlers.services import Services
from handlers.tracker.modals import IssueDraft, IssueModalMeta, issue_modal

logger = logging.getLogger(__name__)


async def open_issue_modal(
    services: Services, client: AsyncWebClient, trigger_id: str | None, text: str, meta: IssueModalMeta
) -> bool:
    """views.open the issue modal pre-filled with ``text`` and the program its best match belongs to."""
    if not trigger_id:
        logger.error("cannot open the issue modal: the request carried no trigger_id")
        return False
    program = await services.suggest_program(text)
    view = issue_modal(IssueDraft(text=text, program=program, meta=meta), services.program_options())
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SEND_ERRORS:
        services.metrics.slack_error("views.open")
        logger.exception("views.open failed for the issue modal")
        return False
    return True


async def open_issue_form(
    services: Services,
    client: AsyncWebClient,
    trigger_id: str | None,
    text: str,
    *,
    channel_id: str | None,
    thread_ts: str | None,
    permalink: str | None,
    question_log_id: int | None = None,
) -> bool:
    """open_issue_modal for other domains' listeners (``services.hooks.open_issue_form``)."""
    question = str(question_log_id) if question_log_id is not None else None
    meta = IssueModalMeta(channel_id=channel_id, thread_ts=thread_ts, permalink=permalink, question_log_id=question)
    return await open_issue_modal(services, client, trigger_id, text, meta)


async def tell_user(services: Services, client: AsyncWebClient, body: dict[str, Any], reply: dict[str, Any]) -> None:
    """Reply privately to whoever pressed a button: ephemeral via response_url, else a DM (Home tab)."""
    if body.get("response_url"):
        await services.sender.respond(body["response_url"], replace_original=False, **reply)
        return
    user = (body.get("user") or {}).get("id")
    if isinstance(user, str) and user:
        await services.sender.post_message(client, user, **reply)
