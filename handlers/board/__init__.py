"""The program status board in Slack: ``/icam status [program]``, ``/icam risks``, ``/icam program`` and its form."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp


def register(app: AsyncApp) -> None:
    """Wire this domain's listeners into ``app`` (imported here, so that importing a builder loads no listener)."""
    from handlers.board import commands

    commands.register(app)
