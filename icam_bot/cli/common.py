"""Helpers shared by sub-commands: settings and core objects with clear errors."""

from __future__ import annotations

import sys

from icam_bot.answers import Responder
from icam_bot.config import ConfigError, Settings
from icam_bot.knowledge import KnowledgeError


class CommandError(Exception):
    """A failure to report to the user as one clear message (exit code 2)."""


def settings_or_exit() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise CommandError(str(exc)) from exc


def responder_or_exit(settings: Settings | None = None) -> Responder:
    """Load the knowledge base and matcher, or fail with the problems listed."""
    from icam_bot.runtime import build_responder

    settings = settings or settings_or_exit()
    try:
        return build_responder(settings)
    except KnowledgeError as exc:
        raise CommandError(f"{exc}\nThe knowledge base must be fixed before icam-bot can answer.") from exc


def fail(message: str) -> int:
    print(f"icam-bot: {message}", file=sys.stderr)
    return 2
