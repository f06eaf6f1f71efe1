"""``icam-bot db``: apply and inspect database migrations."""

from __future__ import annotations

import argparse

from icam_bot.cli.common import CommandError, settings_or_exit


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("db", help="manage the database schema (DATABASE_URL)")
    db_sub = parser.add_subparsers(dest="db_command", metavar="DB_COMMAND")
    upgrade = db_sub.add_parser("upgrade", help="apply migrations up to the newest revision")
    upgrade.add_argument("--revision", default="head", help="target revision (default: head)")
    upgrade.set_defaults(func=run_upgrade)
    current = db_sub.add_parser("current", help="show the database's revision and the newest one")
    current.set_defaults(func=run_current)
    parser.set_defaults(func=lambda _args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run_upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError  # lazy: keeps `icam-bot ask` start-up fast

    from icam_bot.db import make_engine, upgrade

    settings = settings_or_exit()
    engine = make_engine(settings.database_url)
    try:
        status = upgrade(engine, args.revision)
    except SQLAlchemyError as exc:
        raise CommandError(f"could not migrate the database at DATABASE_URL: {exc.__class__.__name__}: {exc}") from exc
    finally:
        engine.dispose()
    print(f"database at revision {status.current} (newest {status.head})")
    return 0


def run_current(_args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError  # lazy: keeps `icam-bot ask` start-up fast

    from icam_bot.db import make_engine, schema_status

    settings = settings_or_exit()
    engine = make_engine(settings.database_url)
    try:
        status = schema_status(engine)
    except SQLAlchemyError as exc:
        raise CommandError(f"could not read the database at DATABASE_URL: {exc.__class__.__name__}: {exc}") from exc
    finally:
        engine.dispose()
    state = "up to date" if status.up_to_date else "behind: run `icam-bot db upgrade`"
    print(f"database revision {status.current or '(empty)'}; newest {status.head} ({state})")
    return 0 if status.up_to_date else 1
