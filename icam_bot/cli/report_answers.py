"""``icam-bot report answers --csv|--json [--weeks N | --since DATE] [--until DATE]``: the answer analytics."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from icam_bot.cli.common import CommandError, cli_actor, date_option, settings_or_exit

#: Flags of the items report that mean nothing for the answer report.
ITEM_ONLY = ("program", "status")


def window_of(args: argparse.Namespace, now: dt.datetime):
    """The weeks ``--weeks``, ``--since`` and ``--until`` describe (default: the last 12 weeks up to now)."""
    from icam_bot.analytics.period import MAX_WEEKS, Window

    since, until = date_option("--since", args.since), date_option("--until", args.until)
    if since is not None and args.weeks is not None:
        raise CommandError("give --weeks or --since, not both")
    if args.weeks is not None and not 1 <= args.weeks <= MAX_WEEKS:
        raise CommandError(f"--weeks must be 1-{MAX_WEEKS} (got {args.weeks})")
    end = now
    if until is not None:
        end = min(now, dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC))
    if since is not None:
        if until is not None and since > until:
            raise CommandError(f"--since {since} is after --until {until}")
        if since > end.date():
            raise CommandError(f"--since {since} is in the future")
        return Window.since(since, end)
    return Window.last_weeks(end, args.weeks or 12)


def run_answers_report(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from icam_bot.analytics.export import write_csv, write_json
    from icam_bot.analytics.report import AnswerAnalytics
    from icam_bot.cli.report import open_private
    from icam_bot.db import make_engine, schema_status
    from icam_bot.db.base import utcnow
    from icam_bot.db.session import make_session_factory
    from icam_bot.records.access import Surface

    if args.format is None:
        raise CommandError("choose an output format: --csv or --json")
    for flag in ITEM_ONLY:
        if getattr(args, flag) is not None:
            raise CommandError(f"--{flag} applies to the items report, not to `report answers`")
    window = window_of(args, utcnow())
    actor = cli_actor(args.actor)
    settings = settings_or_exit()
    engine = make_engine(settings.database_url)
    try:
        if not schema_status(engine).up_to_date:
            raise CommandError("the database schema is behind: run `icam-bot db upgrade` first")
        analytics = AnswerAnalytics(make_session_factory(engine), lambda _user: True, utcnow)
        report = analytics.report(actor=actor, window=window, surface=Surface.CLI, pmo=True)
    except SQLAlchemyError as exc:
        raise CommandError(f"could not read the database at DATABASE_URL: {exc.__class__.__name__}: {exc}") from exc
    finally:
        engine.dispose()
    try:
        out = open_private(args.output) if args.output else sys.stdout
        try:
            (write_csv if args.format == "csv" else write_json)(report, out)
        finally:
            if out is not sys.stdout:
                out.close()
    except OSError as exc:
        raise CommandError(f"could not write the report: {exc}") from exc
    print(f"{len(report.rows)} week/category row(s), {len(report.topics)} unanswered topic(s)", file=sys.stderr)
    return 0
