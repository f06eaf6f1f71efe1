"""The ``/icam`` slash command: ``ask``, ``help``, ``issue``, the tracker, program board and communications
subcommands; replies are ephemeral."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from handlers.answers.blocks import BUSY_TEXT, ERROR_TEXT, text_message
from handlers.answers.questions import answer_job, received_at
from handlers.board.commands import is_item_ref, open_program_modal, risks_reply, status_reply
from handlers.common.ids import SLASH_COMMAND
from handlers.comms.commands import COMMS_SUBCOMMANDS, comms_reply
from handlers.services import Services, services_of
from handlers.slash.help import help_message
from handlers.tracker.blocks import (
    done_message,
    error_message,
    item_detail_message,
    items_message,
    stats_message,
    unsaved_message,
)
from handlers.tracker.flows import open_issue_modal
from handlers.tracker.modals import IssueModalMeta
from handlers.tracker.parsing import parse_user, split_ref
from icam_bot.inbox.service import Question
from icam_bot.tracker.errors import TrackerError, TrackerNotSavedError
from icam_bot.tracker.idempotency import content_key
from icam_bot.tracker.results import ActionResult

logger = logging.getLogger(__name__)

ASK_USAGE = f"Give me a question after `ask`, e.g. `{SLASH_COMMAND} ask how do I reset my PIV PIN?`"
#: Tracker subcommands that act on one item, with their usage.
ITEM_USAGE = {
    "status": "status ICAM-<n>",
    "assign": "assign ICAM-<n> @person",
    "comment": "comment ICAM-<n> <text>",
    "escalate": "escalate ICAM-<n> <reason>",
    "resolve": "resolve ICAM-<n> <resolution>",
    "reopen": "reopen ICAM-<n> [reason]",
}
TRACKER_SUBCOMMANDS = {*ITEM_USAGE, "mine", "queue", "stats", "risks"}
NEEDS_TEXT = {"comment", "escalate", "resolve"}
DEFAULT_REOPEN_REASON = "reopened from Slack"


def register(app: AsyncApp) -> None:
    app.command(SLASH_COMMAND)(on_icam)


async def on_icam(ack: AsyncAck, command: dict[str, Any], context: Any, client: AsyncWebClient) -> None:
    """Ack at once (help is instant); answers are produced after the ack and sent to the response_url."""
    subcommand, _, rest = str(command.get("text") or "").strip().partition(" ")
    subcommand = subcommand.lower()
    if subcommand in ("", "help"):
        await ack(**help_message())
        return
    if subcommand == "issue":
        await ack()
        services = services_of(context)
        meta = IssueModalMeta(channel_id=command.get("channel_id"))
        if not await open_issue_modal(services, client, command.get("trigger_id"), rest.strip(), meta):
            await services.sender.respond(command.get("response_url"), **text_message(ERROR_TEXT))
        return
    if subcommand == "program":
        await ack()
        services = services_of(context)
        try:
            refused = await open_program_modal(services, client, command, rest)
        except Exception:
            logger.exception("/icam program failed (user=%s)", command.get("user_id"))
            refused = text_message(ERROR_TEXT)
        if refused is not None:
            await services.sender.respond(command.get("response_url"), **refused)
        return
    if subcommand in TRACKER_SUBCOMMANDS:
        await ack()
        services = services_of(context)
        user_id = str(command.get("user_id") or "")
        try:
            reply = await tracker_reply(services, client, subcommand, rest, user_id)
        except Exception:
            logger.exception("/icam %s failed (user=%s)", subcommand, user_id)
            # what the person typed comes back with the apology: nothing they wrote is lost
            failed = TrackerNotSavedError(subcommand, split_ref(rest)[1])
            reply = unsaved_message(failed) if subcommand in NEEDS_TEXT else text_message(ERROR_TEXT)
        await services.sender.respond(command.get("response_url"), **reply)
        return
    if subcommand in COMMS_SUBCOMMANDS:
        await ack()
        services = services_of(context)
        try:
            comms = await comms_reply(services, client, subcommand, rest, command)
        except Exception:
            logger.exception("/icam %s failed (user=%s)", subcommand, command.get("user_id"))
            comms = text_message(ERROR_TEXT)
        if comms is not None:
            await services.sender.respond(command.get("response_url"), **comms)
        return
    # `/icam ask <question>`, and anything that is not a subcommand is a question too: `/icam my PIV card is locked`
    question = rest.strip() if subcommand == "ask" else str(command.get("text") or "").strip()
    if not question:
        await ack(**text_message(ASK_USAGE))
        return
    services = services_of(context)
    if services.answer_queue.overloaded():
        services.metrics.questions_turned_away.inc()
        await ack(**text_message(BUSY_TEXT))
        return
    await _ask(ack, services, command, question, received_at(context))


async def _ask(
    ack: AsyncAck, services: Services, command: dict[str, Any], text: str, received: float | None = None
) -> None:
    """Store the question before the ack and answer it from the store; with the database down, answer it
    anyway and keep its record for when the database returns."""
    user = str(command.get("user_id") or "")
    # The invocation is named by its trigger id and response URL together (a redelivery carries the same pair)
    request = f"{command.get('trigger_id') or ''}\x1f{command.get('response_url') or ''}"
    key = f"command:{user}:{hashlib.sha256(request.encode('utf-8', 'replace')).hexdigest()[:40]}"
    question = Question(key, user, command.get("channel_id"), "command", text, command.get("response_url"))
    try:
        stored = await services.store_question(question)
    except SQLAlchemyError:
        logger.warning("could not store a question before its ack (database unavailable); answering it anyway")
        stored = None
    await ack()
    if stored is not None and not stored.new:
        logger.info("command %s was delivered again; its question is already stored", key)
        return
    lease = services.lease_seconds
    if stored is not None:
        job = answer_job(question, stored.id, services.replica_id, lease, received_at=received)
    else:
        job = answer_job(question, received_at=received)
    services.answer_queue.start(job)


async def tracker_reply(
    services: Services, client: AsyncWebClient, subcommand: str, rest: str, user: str
) -> dict[str, Any]:
    """Run one tracker subcommand for ``user``; deliver its notifications and return the ephemeral reply."""
    tracker = services.tracker
    ref, text = split_ref(rest)
    if subcommand == "status" and not is_item_ref(ref):
        return await status_reply(services, rest, user)  # the board: enterprise view, or one program
    if subcommand == "risks":
        return await risks_reply(services, user)
    if subcommand in ITEM_USAGE and (not ref or (subcommand in NEEDS_TEXT and not text)):
        return text_message(f"Usage: `{SLASH_COMMAND} {ITEM_USAGE[subcommand]}`")
    result: ActionResult
    try:
        if subcommand == "status":
            return item_detail_message(await asyncio.to_thread(tracker.get, ref, actor=user))
        if subcommand == "mine":
            items = await asyncio.to_thread(tracker.mine, actor=user)
            return items_message("Your open items", items, tracker.clock(), "You have no open items.")
        if subcommand == "queue":
            program = rest.strip().lower() or None
            items = await asyncio.to_thread(tracker.queue, actor=user, program=program)
            heading = f"Open items for {program}" if program else "Open items, most urgent first"
            return items_message(heading, items, tracker.clock(), "Nothing open.")
        if subcommand == "stats":
            return stats_message(await asyncio.to_thread(tracker.stats, actor=user))
        if subcommand == "assign":
            assignee = parse_user(text)
            if assignee is None:
                return text_message(f"Usage: `{SLASH_COMMAND} {ITEM_USAGE['assign']}` (mention the person)")
            result = await asyncio.to_thread(tracker.assign, ref, assignee, actor=user)
            what = f"is assigned to <@{assignee}>"
        elif subcommand == "comment":
            key = content_key("comment", tracker.clock(), user, ref, text)
            result = await asyncio.to_thread(tracker.comment, ref, text, actor=user, keys=(key,))
            what = "has your comment"
        elif subcommand == "escalate":
            result = await asyncio.to_thread(tracker.escalate, ref, text, actor=user)
            services.metrics.items_escalated.inc()
            what = f"is escalated (now at level {result.item.escalation_level})"
        elif subcommand == "resolve":
            result = await asyncio.to_thread(tracker.resolve, ref, text, actor=user)
            services.metrics.items_resolved.inc()
            what = "is resolved"
        else:
            result = await asyncio.to_thread(tracker.reopen, ref, text or DEFAULT_REOPEN_REASON, actor=user)
            what = "is reopened"
    except TrackerError as exc:
        return error_message(exc)
    services.notify()
    return done_message(result, what)
