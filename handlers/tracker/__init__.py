"""The ICAM issue tracker in Slack: the issue form, the item buttons and modals, the message shortcut."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp


def register(app: AsyncApp) -> None:
    """Wire this domain's listeners into ``app`` (imported here, so that importing a builder loads no listener)."""
    from handlers.tracker import items, shortcuts, views

    items.register(app)
    shortcuts.register(app)
    views.register(app)
