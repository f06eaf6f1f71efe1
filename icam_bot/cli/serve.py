"""``icam-bot serve``: run the Slack app (Socket Mode with SLACK_APP_TOKEN, otherwise HTTP on PORT)."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from icam_bot.cli.common import CommandError, responder_or_exit, settings_or_exit
from icam_bot.config import ConfigError, Settings
from icam_bot.logs import logging_configured

if TYPE_CHECKING:
    from icam_bot.cli.slack_side import SlackSettings
    from icam_bot.programs.routing import ProgramsConfig
    from icam_bot.questions.store import Store

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("serve", help="run the Slack app (Socket Mode if SLACK_APP_TOKEN is set, else HTTP)")
    parser.add_argument("--port", type=int, default=None, help="HTTP port (default: PORT or 3000)")
    parser.add_argument("--host", default="0.0.0.0", help="HTTP address to bind (default 0.0.0.0)")  # noqa: S104
    parser.add_argument(
        "--demo",
        action="store_true",
        help="a demonstration: accept the bundled routing file's example Slack ids (also ICAM_DEMO=1)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from icam_bot.cli.slack_side import slack_side
    from icam_bot.programs.routing import example_ids_problem

    settings = settings_or_exit()
    try:
        settings.require_slack()
        slack_settings = slack_side().slack_settings()
    except ConfigError as exc:
        raise CommandError(str(exc)) from exc
    if args.port is not None and not 0 < args.port < 65536:
        raise CommandError(f"--port must be a TCP port number 1-65535 (got {args.port})")
    if not settings.socket_mode and (args.port or settings.port) == settings.metrics_port:
        raise CommandError(f"--port must differ from ICAM_METRICS_PORT ({settings.metrics_port})")
    settings = require_model(settings)
    programs = programs_or_exit()
    demo = args.demo or settings.demo
    problem = None if demo else example_ids_problem(programs)
    if problem:
        raise CommandError(problem)
    webhook_problems = webhooks_problems(programs)
    if webhook_problems:
        raise CommandError("outbound webhooks are not ready:\n" + "\n".join(f"  - {p}" for p in webhook_problems))
    with logging_configured(settings.log_level, settings.log_format or "json", secrets_of(settings)):
        if not settings.use_embeddings:
            logger.warning("ICAM_EMBEDDINGS=off: lexical matching by choice; far fewer questions are answered outright")
        if demo and programs.example_ids():
            logger.warning("demo mode: the routing file's example Slack ids are in use; items reach nobody")
        serve(args, settings, slack_settings, programs)
    return 0


def serve(
    args: argparse.Namespace, settings: Settings, slack_settings: SlackSettings, programs: ProgramsConfig
) -> None:
    """Load everything, then serve until SIGTERM/SIGINT; the store is closed last."""
    from icam_bot.cli.slack_side import slack_side

    side = slack_side()
    responder = responder_or_exit(settings)
    store = open_store(settings.database_url)
    try:
        side.serve(args, settings, slack_settings, programs, responder=responder, store=store)
    finally:
        store.close()
    logger.info("shutdown completed: database closed, exiting")


def require_model(settings: Settings) -> Settings:
    """The settings ``serve`` runs with: the embedding model is required (verified now, before anything loads)
    unless ICAM_EMBEDDINGS=off says lexical matching is meant. ``auto`` becomes ``on`` so that no process of
    the server (answer workers included) falls back to lexical matching quietly."""
    import dataclasses

    from icam_bot.matching.model_files import model_status, required_model_problem

    if settings.embeddings == "off":
        return settings
    status = model_status()
    if not status.ok:
        raise CommandError(required_model_problem(status))
    return dataclasses.replace(settings, embeddings="on")


def secrets_of(settings: Settings) -> list[str | None]:
    """Values that must never reach a log line: the Slack credentials and the database password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        password = make_url(settings.database_url).password
    except ArgumentError:
        password = None
    return [settings.slack_signing_secret, settings.slack_bot_token, settings.slack_app_token, password]
    return 0


def webhooks_problems(programs: ProgramsConfig) -> list[str]:
    """What stops the routing file's webhooks (secrets, http in production) and ICAM_WEBHOOK_* from working."""
    from icam_bot.webhooks.settings import WebhookSettings

    problems = programs.webhook_problems()
    WebhookSettings.from_env(problems=problems)
    return problems


def programs_or_exit() -> ProgramsConfig:
    """The tracker's routing file (ICAM_PROGRAMS_FILE or knowledge/programs.yaml), or every problem in it."""
    from icam_bot.programs.routing import ProgramsError, load_programs

    try:
        return load_programs()
    except ProgramsError as exc:
        raise CommandError(f"{exc}\nFix the routing file (ICAM_PROGRAMS_FILE) before starting icam-bot.") from exc


def open_store(database_url: str) -> Store:
    """The store, with an embedded SQLite schema upgraded in place; a PostgreSQL schema must already be current."""
    from sqlalchemy.exc import SQLAlchemyError  # lazy: keeps `icam-bot ask` start-up fast

    from icam_bot.db import schema_status, upgrade
    from icam_bot.inbox.service import prune as prune_questions
    from icam_bot.outbox.service import prune as prune_outbox
    from icam_bot.questions.store import Store
    from icam_bot.webhooks.service import prune as prune_webhooks

    store = Store.from_url(database_url)
    try:
        if store.engine.dialect.name == "sqlite":
            upgrade(store.engine)
        else:
            status = schema_status(store.engine)
            if not status.up_to_date:
                store.close()
                raise CommandError(
                    f"the database schema is at revision {status.current or '(empty)'} but this icam-bot needs "
                    f"{status.head}: run `icam-bot db upgrade` with the same DATABASE_URL, then start again"
                )
        removed = store.prune_events()
        delivered = prune_outbox(store.engine) + prune_questions(store.engine) + prune_webhooks(store.engine)
        logger.info(
            "database ready (%s); pruned %d old event ids and %d delivered messages and answered questions",
            store.engine.dialect.name,
            removed,
            delivered,
        )
    except SQLAlchemyError as exc:
        store.close()
        raise CommandError(f"cannot use the database at DATABASE_URL: {exc.__class__.__name__}: {exc}") from exc
    return store
