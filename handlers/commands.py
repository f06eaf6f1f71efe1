"""The ``/icam`` slash command: ``ask``, ``help``; anything else gets the help text."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from handlers.blocks import ERROR_TEXT, help_message, text_message
from handlers.ids import SLASH_COMMAND
from handlers.services import services_of

logger = logging.getLogger(__name__)

ASK_USAGE = f"Give me a question after `ask`, e.g. `{SLASH_COMMAND} ask how do I reset my PIV PIN?`"


def register(app: AsyncApp) -> None:
    app.command(SLASH_COMMAND)(on_icam)


async def on_icam(ack: AsyncAck, command: dict[str, Any], context: Any) -> None:
    """Ack at once (help is instant); answers are produced after the ack and sent to the response_url."""
    subcommand, _, rest = str(command.get("text") or "").strip().partition(" ")
    subcommand = subcommand.lower()
    if subcommand in ("", "help"):
        await ack(**help_message())
        return
    if subcommand != "ask":
        await ack(**help_message(unknown=subcommand))
        return
    question = rest.strip()
    if not question:
        await ack(**text_message(ASK_USAGE))
        return
    await ack()
    services = services_of(context)
    user_id = str(command.get("user_id") or "")
    async with services.work_slots:
        try:
            reply = await services.answer(question, user_id, command.get("channel_id"), "command")
        except Exception:
            logger.exception("answering /icam ask failed (user=%s)", user_id)
            reply = text_message(ERROR_TEXT)
        await services.sender.respond(command.get("response_url"), **reply)
