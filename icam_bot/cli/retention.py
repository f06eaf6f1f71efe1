"""``icam-bot retention``: apply the records schedule now (``--dry-run``: only say what it would do).

Periods come from ICAM_RETENTION_QUESTIONS_DAYS and ICAM_RETENTION_CLOSED_ITEMS_DAYS (``serve`` applies them
every few hours too). A real run is recorded in the access log under ``--actor`` (default: the OS user).
"""

from __future__ import annotations

import argparse

from icam_bot.cli.common import CommandError, add_actor_argument, cli_actor, settings_or_exit


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "retention", help="purge question logs and redact finished items past their retention periods"
    )
    parser.add_argument("--dry-run", action="store_true", help="count what would be purged or redacted; change nothing")
    add_actor_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError  # lazy: keeps `icam-bot ask` start-up fast

    from icam_bot.db import make_engine, schema_status
    from icam_bot.retention.job import RetentionJob

    actor = cli_actor(args.actor)
    settings = settings_or_exit()
    policy = settings.retention
    if not policy.enabled:
        print(
            "retention is off: set ICAM_RETENTION_QUESTIONS_DAYS and/or ICAM_RETENTION_CLOSED_ITEMS_DAYS "
            "(days) to purge question logs and redact finished items"
        )
        return 0
    engine = make_engine(settings.database_url)
    try:
        if not schema_status(engine).up_to_date:
            raise CommandError("the database schema is behind: run `icam-bot db upgrade` first")
        report = RetentionJob(engine, policy).run(actor=actor, dry_run=args.dry_run)
    except SQLAlchemyError as exc:
        raise CommandError(f"could not use the database at DATABASE_URL: {exc.__class__.__name__}: {exc}") from exc
    finally:
        engine.dispose()
    print(f"retention ({policy.describe()}): {report.summary()}")
    return 0
