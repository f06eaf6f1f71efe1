"""The App Home tab."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp


def register(app: AsyncApp) -> None:
    """Wire this domain's listeners into ``app`` (imported here, so that importing a builder loads no listener)."""
    from handlers.home import tab

    tab.register(app)
