"""The ``/icam`` slash command: one registry of subcommands (``subcommands.py``) drives the dispatch, ``/icam
help`` and the manifests' usage hint."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp


def register(app: AsyncApp) -> None:
    """Wire the ``/icam`` listener into ``app`` (imported here, so that importing a builder loads no listener)."""
    from handlers.slash import listener

    listener.register(app)
