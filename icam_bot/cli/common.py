"""Helpers shared by sub-commands: settings and core objects with clear errors."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
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
    from icam_bot.matching.model_files import INSTALL_HINT, EmbeddingUnavailableError, ModelIntegrityError
    from icam_bot.runtime import build_responder

    settings = settings or settings_or_exit()
    try:
        return build_responder(settings)
    except KnowledgeError as exc:
        raise CommandError(f"{exc}\nThe knowledge base must be fixed before icam-bot can answer.") from exc
    except ModelIntegrityError as exc:
        raise CommandError(str(exc)) from exc
    except EmbeddingUnavailableError as exc:  # ICAM_EMBEDDINGS=on (or serve) and no model
        raise CommandError(
            f"{exc}: install it with {INSTALL_HINT}, or set ICAM_EMBEDDINGS=off to match on words alone"
        ) from exc


#: The longest name ``--actor`` accepts (the access log's actor column).
MAX_ACTOR_LEN = 64


def add_actor_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--actor",
        help="who is running this, recorded in the access log (default: the operating-system user)",
    )


def cli_actor(value: str | None) -> str:
    """The person a command that reads records is recorded as: ``--actor``, else the operating-system user."""
    if value is None:
        try:
            return getpass.getuser()[:MAX_ACTOR_LEN]
        except (OSError, KeyError):
            raise CommandError("cannot tell who is running this: name yourself with --actor") from None
    name = " ".join(value.split())
    if not name or len(name) > MAX_ACTOR_LEN:
        raise CommandError(f"--actor must name the person running this (1-{MAX_ACTOR_LEN} characters)")
    return name


def fail(message: str) -> int:
    print(f"icam-bot: {message}", file=sys.stderr)
    return 2


def date_option(flag: str, value: str | None) -> dt.date | None:
    """A ``--since``/``--until`` style date option (YYYY-MM-DD), or a clear error naming the flag."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{flag} must be a date like 2026-01-31 (got {value!r})") from None
