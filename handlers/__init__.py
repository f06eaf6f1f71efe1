"""The Slack surface of icam-bot: Bolt listeners per surface, Block Kit builders and the HTTP server."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import actions, board, commands, comms, events, home, items, shortcuts, views

LISTENER_MODULES = (commands, events, actions, items, shortcuts, views, home, comms, board)


def register_all(app: AsyncApp) -> None:
    """Wire every surface's listeners into ``app``."""
    for module in LISTENER_MODULES:
        module.register(app)
