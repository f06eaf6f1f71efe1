"""Block Kit for the channels domain: the ``/icam listen`` replies and the reaction's confirmation."""

from __future__ import annotations

from typing import Any

from handlers.common.blocks import actions, button, context, encode_value, message, sections, text_message
from handlers.common.ids import ActionId, BlockId
from handlers.common.text import escape, truncate

LISTEN_USAGE = "Usage: `/icam listen on|off` in the channel (PMO members only); `/icam listen` shows the setting."
NOT_A_CHANNEL = "Help-channel mode is for public channels: run `/icam listen` in the channel itself."
PREVIEW_CHARS = 300


def listen_message(on: bool, changed: bool) -> dict[str, Any]:
    """The reply to ``/icam listen on|off`` (or to ``/icam listen``: ``changed`` False and the current state)."""
    if on:
        state = "Help-channel mode is on" if changed else "Help-channel mode is already on"
        return text_message(
            f"{state} in this channel: I read new top-level messages and answer in the thread only when I am "
            "confident; otherwise I say nothing. Questions I read are logged for the PMO's analytics and gap "
            "queue. Invite me to the channel if I am not in it yet."
        )
    state = "Help-channel mode is off" if changed else "Help-channel mode is not on"
    return text_message(f"{state} in this channel: I answer only when mentioned.")


def confirm_ticket_message(channel: str, ts: str, preview: str, reaction: str) -> dict[str, Any]:
    """The ephemeral question to the person who reacted: create a tracker item from this message?"""
    value = encode_value(c=channel, t=ts)
    shown = escape(truncate(preview, PREVIEW_CHARS)) if preview else "_(no text)_"
    blocks = [
        *sections(f"You reacted with :{reaction}:. Create an ICAM PMO tracker item from this message?"),
        context(f"> {shown}".replace("\n", "\n> ")),
        actions(
            BlockId.REACTION_TICKET,
            [
                button("Create item", ActionId.REACTION_TICKET_CREATE, value, style="primary"),
                button("Cancel", ActionId.REACTION_TICKET_CANCEL, value),
            ],
        ),
    ]
    return message("Create an ICAM PMO tracker item from this message?", blocks)


def created_message(ref: str, duplicate: bool) -> dict[str, Any]:
    if duplicate:
        return text_message(f"This message is already tracked as *{ref}*; nothing new was created.")
    return text_message(f"Created *{ref}* from this message; you are its reporter and will hear about its progress.")


CANCELLED = text_message("Cancelled: no tracker item was created.")
MESSAGE_GONE = text_message("I could not read that message (deleted, or in a channel I am not in): nothing created.")
