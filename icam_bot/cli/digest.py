"""``icam-bot digest --dry-run``: print the weekly digest as plain text for a person to check (sends nothing)."""

from __future__ import annotations

import argparse
import sys

from icam_bot.cli.common import CommandError, settings_or_exit


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("digest", help="print the weekly PMO digest (the server posts it on schedule)")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the digest instead of sending it (required: sending is the server's job)",
    )
    parser.add_argument(
        "--last",
        action="store_true",
        help="the latest digest that was due (default: the coming one, with this week's data so far)",
    )
    parser.set_defaults(func=run_digest)


def run_digest(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError  # lazy: keeps `icam-bot ask` start-up fast

    from icam_bot.cli.serve import programs_or_exit
    from icam_bot.comms.digest_text import digest_text
    from icam_bot.comms.schedule import DigestSchedule
    from icam_bot.comms.scheduler import DigestComposer
    from icam_bot.db import make_engine, schema_status
    from icam_bot.db.base import utcnow
    from icam_bot.knowledge import KnowledgeError, load_knowledge

    if not args.dry_run:
        raise CommandError(
            "only --dry-run is supported here: `icam-bot serve` posts the digest on schedule (ICAM_DIGEST_DAY, "
            "ICAM_DIGEST_TIME, ICAM_DIGEST_TZ)"
        )
    settings = settings_or_exit()
    programs = programs_or_exit()
    try:
        kb = load_knowledge(settings.knowledge_dir, settings.site_file, settings.cache_dir)
    except KnowledgeError as exc:
        raise CommandError(str(exc)) from exc
    schedule = DigestSchedule(settings.digest_day, settings.digest_time, settings.digest_tz)
    now = utcnow()
    period = schedule.period(now) if args.last else schedule.period(schedule.next_due(now))
    engine = make_engine(settings.database_url)
    try:
        if not schema_status(engine).up_to_date:
            raise CommandError("the database schema is behind: run `icam-bot db upgrade` first")
        composer = DigestComposer.create(engine, programs, lambda: kb.entries, schedule)
        digest = composer.compose(period)
    except SQLAlchemyError as exc:
        raise CommandError(f"could not read the database at DATABASE_URL: {exc.__class__.__name__}: {exc}") from exc
    finally:
        engine.dispose()
    channel = (
        "off (ICAM_DIGEST_CHANNEL=off)"
        if settings.digest_disabled
        else (settings.digest_channel or programs.pmo_channel or "none configured")
    )
    sys.stdout.write(f"[dry run: nothing sent; {schedule.describe()}; channel {channel}]\n")
    sys.stdout.write(digest_text(digest))
    return 0
