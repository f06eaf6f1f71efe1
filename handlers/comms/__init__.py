"""Announcements, subscriptions and the weekly digest in Slack."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp


def register(app: AsyncApp) -> None:
    """Wire this domain's listeners into ``app`` (imported here, so that importing a builder loads no listener)."""
    from handlers.comms import commands

    commands.register(app)
