"""``icam-bot serve``: run the Slack app (Socket Mode with SLACK_APP_TOKEN, otherwise HTTP on PORT)."""

from __future__ import annotations

import argparse
import gc
import logging
from typing import TYPE_CHECKING

from icam_bot.cli.common import CommandError, responder_or_exit, settings_or_exit
from icam_bot.config import ConfigError

if TYPE_CHECKING:
    from icam_bot.db import Store
    from icam_bot.tracker.programs import ProgramsConfig

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("serve", help="run the Slack app (Socket Mode if SLACK_APP_TOKEN is set, else HTTP)")
    parser.add_argument("--port", type=int, default=None, help="HTTP port (default: PORT or 3000)")
    parser.add_argument("--host", default="0.0.0.0", help="HTTP address to bind (default 0.0.0.0)")  # noqa: S104
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from handlers.app import create_app, services_of_app
    from handlers.server import run_http, run_socket_mode
    from handlers.settings import SlackSettings

    settings = settings_or_exit()
    try:
        settings.require_slack()
        slack_settings = SlackSettings.from_env()
    except ConfigError as exc:
        raise CommandError(str(exc)) from exc
    if args.port is not None and not 0 < args.port < 65536:
        raise CommandError(f"--port must be a TCP port number 1-65535 (got {args.port})")
    logging.getLogger().setLevel(settings.log_level)
    programs = programs_or_exit()
    responder = responder_or_exit(settings)
    store = open_store(settings.database_url)
    app = create_app(settings, responder, store, slack_settings, programs=programs)
    services_of_app(app).pool.warm_up()  # worker processes load the core before the first request
    # The knowledge base and indexes are hundreds of thousands of long-lived objects: keep them out of the
    # cyclic garbage collector so its full passes do not pause request handling.
    gc.collect()
    gc.freeze()
    sweep = slack_settings.sweep_seconds
    try:
        if settings.socket_mode:
            assert settings.slack_app_token is not None
            run_socket_mode(app, settings.slack_app_token, sweep, health_port=settings.health_port)
        else:
            assert settings.slack_signing_secret is not None
            run_http(app, settings.slack_signing_secret, args.port or settings.port, args.host, sweep)
    finally:
        store.close()
    return 0


def programs_or_exit() -> ProgramsConfig:
    """The tracker's routing file (ICAM_PROGRAMS_FILE or knowledge/programs.yaml), or every problem in it."""
    from icam_bot.tracker.programs import ProgramsError, load_programs

    try:
        return load_programs()
    except ProgramsError as exc:
        raise CommandError(f"{exc}\nFix the routing file (ICAM_PROGRAMS_FILE) before starting icam-bot.") from exc


def open_store(database_url: str) -> Store:
    """The store, with an embedded SQLite schema upgraded in place; a PostgreSQL schema must already be current."""
    from sqlalchemy.exc import SQLAlchemyError  # lazy: keeps `icam-bot ask` start-up fast

    from icam_bot.db import Store, schema_status, upgrade

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
        logger.info("database ready (%s); pruned %d old event ids", store.engine.dialect.name, removed)
    except SQLAlchemyError as exc:
        store.close()
        raise CommandError(f"cannot use the database at DATABASE_URL: {exc.__class__.__name__}: {exc}") from exc
    return store
