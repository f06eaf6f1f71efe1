"""``/icam listen on|off``: help-channel mode, switched by PMO members, stored in the database and audited."""

from __future__ import annotations

import asyncio

from handlers.channels.blocks import LISTEN_USAGE, NOT_A_CHANNEL, listen_message
from handlers.common.blocks import text_message
from handlers.slash.registry import Call, Message

PUBLIC_CHANNEL_PREFIXES = ("C",)


async def listen(call: Call) -> Message:
    """``listen on`` / ``listen off`` in the channel; ``listen`` alone shows the setting."""
    word = call.rest.strip().lower()
    channel = call.channel
    if not channel.startswith(PUBLIC_CHANNEL_PREFIXES):
        return text_message(NOT_A_CHANNEL)
    listening = call.services.listening
    if word == "":
        return listen_message(await asyncio.to_thread(listening.is_listened, channel), changed=False)
    if word not in ("on", "off"):
        return text_message(LISTEN_USAGE)
    on = word == "on"
    changed = await asyncio.to_thread(listening.set, channel, on, call.user)
    return listen_message(on, changed)
