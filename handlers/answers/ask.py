"""``/icam ask <question>`` (and any text that is not a subcommand): stored before the ack, answered after it."""

from __future__ import annotations

import asyncio
import hashlib
import logging

from sqlalchemy.exc import SQLAlchemyError

from handlers.answers.blocks import BUSY_TEXT
from handlers.answers.questions import answer_job, received_at
from handlers.common.blocks import text_message
from handlers.common.ids import SLASH_COMMAND
from handlers.runtime.spool import SpoolFullError
from handlers.slash.registry import Call
from icam_bot.inbox.service import Question

logger = logging.getLogger(__name__)

SPOOL_FULL_TEXT = (
    "I can't take your question right now (the database is unavailable and my backlog is full). "
    "Please ask again in a few minutes."
)
ASK_USAGE = f"Give me a question after `ask`, e.g. `{SLASH_COMMAND} ask how do I reset my PIV PIN?`"


async def ask(call: Call) -> None:
    """Store the question before the ack and answer it from the store; with the database down, write it to the
    spool before the ack (answered from the store when the database returns). A full answer queue (or a full
    spool) turns it away at the ack."""
    question = call.rest.strip()
    if not question:
        await call.ack(**text_message(ASK_USAGE))
        return
    services = call.services
    if services.answer_queue.overloaded():
        services.metrics.questions_turned_away.inc()
        await call.ack(**text_message(BUSY_TEXT))
        return
    command = call.command
    user = call.user
    # The invocation is named by its trigger id and response URL together (a redelivery carries the same pair)
    request = f"{command.get('trigger_id') or ''}\x1f{command.get('response_url') or ''}"
    key = f"command:{user}:{hashlib.sha256(request.encode('utf-8', 'replace')).hexdigest()[:40]}"
    stored_question = Question(key, user, command.get("channel_id"), "command", question, command.get("response_url"))
    try:
        stored = await services.store_question(stored_question)
    except SQLAlchemyError:
        try:  # on disk before the ack; stored and answered when the database returns
            await asyncio.to_thread(services.spool.asked, stored_question, None)
        except (SpoolFullError, OSError):
            logger.error("database unavailable and the spool is full: a question turned away")
            await call.ack(**text_message(SPOOL_FULL_TEXT))
            return
        logger.warning("could not store a question before its ack (database unavailable); answered when it returns")
        await call.ack()
        return
    await call.ack()
    if stored is None or not stored.new:
        logger.info("command %s was delivered again; its question is already stored", key)
        return
    received = received_at(call.context)
    job = answer_job(stored_question, stored.id, services.replica_id, services.lease_seconds, received_at=received)
    services.answer_queue.start(job)
