"""Teaching the bot from Slack: the review queue's buttons and forms, the "Mark as answer" shortcut, and the
live knowledge watch (``/icam gaps`` is registered with the other subcommands in handlers.slash)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp


def register(app: AsyncApp) -> None:
    """Wire this domain's listeners into ``app`` (imported here, so that importing a builder loads no listener)."""
    from handlers.teaching import actions, shortcuts, views

    actions.register(app)
    views.register(app)
    shortcuts.register(app)
