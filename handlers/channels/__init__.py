"""Channels: help-channel mode (``/icam listen on|off``; the answers domain answers what the bot reads there) and
the reaction that turns a message into a tracker item."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp


def register(app: AsyncApp) -> None:
    """Wire this domain's listeners into ``app`` (``/icam listen`` is registered in handlers.slash.subcommands)."""
    from handlers.channels import reactions

    reactions.register(app)
