"""Buttons on answers: feedback, other matches, "did you mean" picks and logging for the PMO."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from handlers.answers.blocks import answer_message, feedback_message, suggestions_message
from handlers.common.blocks import ERROR_TEXT, NOTHING_TO_LOG_TEXT, decode_value, logged_message, text_message
from handlers.common.guard import guarded
from handlers.common.ids import PICK_ENTRY_PATTERN, ActionId
from handlers.services import Services, services_of
from icam_bot.answers import Suggestion
from icam_bot.questions.answering import AnswerService, Feedback

logger = logging.getLogger(__name__)

OTHER_MATCHES_TEXT = "Other answers that might fit:"
UNKNOWN_ENTRY_TEXT = "That answer is no longer in the knowledge base. Please ask again."


def register(app: AsyncApp) -> None:
    app.action(ActionId.HELPFUL)(guarded(on_feedback))
    app.action(ActionId.NOT_HELPFUL)(guarded(on_feedback))
    app.action(ActionId.SHOW_OTHER)(guarded(on_show_other))
    app.action(PICK_ENTRY_PATTERN)(guarded(on_pick_entry))
    app.action(ActionId.LOG_ISSUE)(guarded(on_log_issue))
    app.action(ActionId.LOG_FOR_PMO)(guarded(on_log_for_pmo))


def _user(body: dict[str, Any]) -> str:
    user = body.get("user")
    return str(user.get("id") or "") if isinstance(user, dict) else ""


def _log_id(value: dict[str, Any]) -> int | None:
    log_id = value.get("q")
    return log_id if isinstance(log_id, int) else None


async def on_feedback(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: Any) -> None:
    await ack()
    services = services_of(context)
    entry_id = decode_value(action.get("value")).get("e")
    helpful = action.get("action_id") == ActionId.HELPFUL
    message_ts = str((body.get("container") or {}).get("message_ts") or "")
    log_id = _log_id(decode_value(action.get("value")))
    vote = Feedback(entry_id, _user(body), helpful, message_ts, log_id) if isinstance(entry_id, str) else None
    answers = AnswerService(services.responder, services.store)
    if vote is None or not await asyncio.to_thread(answers.feedback, vote):
        logger.warning("feedback for an unknown entry ignored")
        return
    services.metrics.helpful(helpful)
    await services.sender.respond(body.get("response_url"), replace_original=False, **feedback_message(helpful))


async def on_show_other(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: Any) -> None:
    await ack()
    services = services_of(context)
    value = decode_value(action.get("value"))
    suggestions = []
    for entry_id in str(value.get("ids") or "").split(","):
        entry = services.responder.entry(entry_id)
        if entry is not None:
            suggestions.append(Suggestion(entry.id, entry.question, 0.0))
    if not suggestions:
        reply = text_message("I have no other close matches for that question.")
    else:
        reply = suggestions_message(suggestions, OTHER_MATCHES_TEXT, _log_id(value), offer_log=False)
    await services.sender.respond(body.get("response_url"), replace_original=False, **reply)


async def on_pick_entry(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    """Post the chosen entry's answer where the suggestions were (thread, DM or ephemeral reply)."""
    await ack()
    services = services_of(context)
    value = decode_value(action.get("value"))
    entry_id = value.get("e")
    reply = services.responder.reply_for_entry(entry_id) if isinstance(entry_id, str) else None
    if reply is None:
        await services.sender.respond(
            body.get("response_url"), replace_original=False, **text_message(UNKNOWN_ENTRY_TEXT)
        )
        return
    log_id = _log_id(value)
    if log_id is not None:
        try:  # the "did you mean" worked: the question leaves the PMO's review queue
            await asyncio.to_thread(services.store.picked_suggestion, log_id)
        except SQLAlchemyError:
            logger.warning("could not record a picked suggestion (question %d)", log_id, exc_info=True)
    message = answer_message(reply, log_id)
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    if container.get("is_ephemeral") or not channel:
        await services.sender.respond(body.get("response_url"), replace_original=True, **message)
        return
    original = body.get("message") or {}
    thread_ts = original.get("thread_ts") or (None if str(channel).startswith("D") else original.get("ts"))
    extra = {"thread_ts": thread_ts} if thread_ts else {}
    await services.sender.post_message(client, channel, **extra, **message)


async def _question_of(services: Services, action: dict[str, Any]) -> str | None:
    """The question behind a button: its question-log row's text, else the text the button carries (the
    question could not be recorded when it was asked), else None."""
    value = decode_value(action.get("value"))
    log_id = _log_id(value)
    if log_id is not None:
        logged = await asyncio.to_thread(services.store.logged_question, log_id)
        if logged is not None:
            return logged.text
    carried = value.get("t")
    return carried if isinstance(carried, str) and carried.strip() else None


async def _record_for_pmo(services: Services, question: str, user: str, permalink: str | None) -> bool:
    """Record ``question`` as a PMO request; False (logged) when the database fails again."""
    try:
        await asyncio.to_thread(services.store.record_unanswered, question, user, pmo_request=True, permalink=permalink)
    except SQLAlchemyError:
        logger.exception("could not log a question for the PMO (user=%s)", user)
        return False
    return True


async def on_log_for_pmo(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    """Log the question behind a reply for the PMO and confirm ephemerally."""
    await ack()
    services = services_of(context)
    question = await _question_of(services, action)
    if question is None:
        await services.sender.respond(
            body.get("response_url"), replace_original=False, **text_message(NOTHING_TO_LOG_TEXT)
        )
        return
    permalink = await _permalink(services, client, body)
    recorded = await _record_for_pmo(services, question, _user(body), permalink)
    reply = logged_message(question) if recorded else text_message(ERROR_TEXT)
    await services.sender.respond(body.get("response_url"), replace_original=False, **reply)


async def on_log_issue(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    """Open the issue modal pre-filled with the question and the answer's link; still log it for the PMO."""
    await ack()
    services = services_of(context)
    question = await _question_of(services, action)
    permalink = await _permalink(services, client, body)
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    thread_ts = (body.get("message") or {}).get("thread_ts") or container.get("message_ts")
    opened = await services.hooks.open_issue_form(
        services,
        client,
        body.get("trigger_id"),
        question or "",
        channel_id=channel,
        thread_ts=thread_ts,
        permalink=permalink,
        question_log_id=_log_id(decode_value(action.get("value"))),
    )
    recorded = question is not None and await _record_for_pmo(services, question, _user(body), permalink)
    if not opened:
        if question is None:
            reply = text_message(NOTHING_TO_LOG_TEXT)
        else:
            reply = logged_message(question) if recorded else text_message(ERROR_TEXT)
        await services.sender.respond(body.get("response_url"), replace_original=False, **reply)


async def _permalink(services: Services, client: AsyncWebClient, body: dict[str, Any]) -> str | None:
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    message_ts = container.get("message_ts")
    if container.get("is_ephemeral") or not channel or not message_ts:
        return None
    return await services.sender.permalink(client, channel, message_ts)
