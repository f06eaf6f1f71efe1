"""The ``/icam`` listener: finds the subcommand in the registry and hands it the call."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.common.ids import SLASH_COMMAND
from handlers.slash.registry import Call
from handlers.slash.subcommands import BY_NAME, QUESTION


def register(app: AsyncApp) -> None:
    app.command(SLASH_COMMAND)(on_icam)


async def on_icam(ack: AsyncAck, command: dict[str, Any], context: Any, client: AsyncWebClient) -> None:
    """``/icam`` alone is ``/icam help``; text that names no subcommand is a question (``/icam my PIV card is
    locked``). Each subcommand acks at once (help is the ack itself) and answers after it, ephemerally."""
    text = str(command.get("text") or "").strip()
    name, _, rest = text.partition(" ")
    subcommand = BY_NAME.get(name.lower() or "help")
    if subcommand is None:
        subcommand, rest = QUESTION, text
    await subcommand.run(Call(subcommand, rest, command, context, client, ack))
