"""The Slack side as the core's ``icam-bot serve`` and ``icam-bot config check`` use it. The core imports this
module by name, only while those commands run (icam_bot/cli/slack_side.py): it never imports ``handlers``."""

from __future__ import annotations

import argparse
import gc
import logging
from collections.abc import Mapping

from handlers.app import create_app, services_of_app
from handlers.runtime.server import run_http, run_socket_mode
from handlers.settings import SlackSettings
from icam_bot.answers import Responder
from icam_bot.comms.scheduler import DEFAULT_CHECK_SECONDS
from icam_bot.comms.service import Communications
from icam_bot.config import Settings
from icam_bot.programs.routing import ProgramsConfig
from icam_bot.questions.store import Store

logger = logging.getLogger(__name__)


def slack_settings(env: Mapping[str, str] | None = None) -> SlackSettings:
    """The Slack-only settings from the environment; ConfigError lists every problem."""
    return SlackSettings.from_env(env)


def serve(
    args: argparse.Namespace,
    settings: Settings,
    slack: SlackSettings,
    programs: ProgramsConfig,
    *,
    responder: Responder,
    store: Store,
) -> None:
    """Build the app on the loaded core, then serve until SIGTERM/SIGINT (the caller closes the store)."""
    app = create_app(settings, responder, store, slack, programs=programs)
    services = services_of_app(app)
    services.answer_pool.warm_up()  # worker processes load the core before the first request
    # The knowledge base and indexes are hundreds of thousands of long-lived objects: keep them out of the
    # cyclic garbage collector so its full passes do not pause request handling.
    gc.collect()
    gc.freeze()
    sweep, timeout = settings.sweep_seconds, settings.shutdown_timeout
    digest = digest_check_seconds(services.comms)
    if settings.socket_mode:
        assert settings.slack_app_token is not None
        run_socket_mode(
            app,
            settings.slack_app_token,
            sweep,
            health_port=settings.health_port,
            shutdown_timeout=timeout,
            digest_check_seconds=digest,
        )
    else:
        assert settings.slack_signing_secret is not None
        run_http(
            app,
            settings.slack_signing_secret,
            args.port or settings.port,
            args.host,
            sweep_seconds=sweep,
            shutdown_timeout=timeout,
            digest_check_seconds=digest,
            metrics_port=settings.metrics_port,
        )


def digest_check_seconds(comms: Communications) -> float | None:
    """How often to check whether the weekly digest is due; None (logged) when it is off or has no channel."""
    if comms.digest_enabled:
        logger.info("weekly digest: %s to %s", comms.schedule.describe(), comms.pmo_channel)
        return DEFAULT_CHECK_SECONDS
    logger.warning("weekly digest off: ICAM_DIGEST_CHANNEL=off, or no channel (ICAM_DIGEST_CHANNEL or pmo_channel)")
    return None
