"""``icam-bot report``: export tracker items as CSV or JSON (streamed) with filters; ``icam-bot report answers``:
the answer analytics (icam_bot/cli/report_answers.py)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import TYPE_CHECKING, TextIO

from icam_bot.cli.common import CommandError, add_actor_argument, cli_actor, date_option, settings_or_exit

if TYPE_CHECKING:
    from icam_bot.records.access import AccessLog, AccessNote

STATUSES = ("new", "triaged", "in_progress", "waiting", "resolved", "closed")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "report", help="export tracker items (ICAM-<n>), or with `answers` the answer analytics, as CSV or JSON"
    )
    parser.add_argument(
        "what",
        nargs="?",
        choices=("items", "answers"),
        default="items",
        help="items (the default): tracker items; answers: questions per week and category, feedback, items "
        "raised, unanswered topics, median time to an answer",
    )
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--csv", action="store_const", const="csv", dest="format", help="CSV with a header row")
    fmt.add_argument("--json", action="store_const", const="json", dest="format", help="a JSON array")
    parser.add_argument("--program", help="only this component program (e.g. credentialing)")
    parser.add_argument("--status", help=f"only this status ({', '.join(STATUSES)})")
    parser.add_argument(
        "--since", help="created on or after this date (YYYY-MM-DD, UTC); answers: from the week holding it"
    )
    parser.add_argument("--until", help="created on or before this date (YYYY-MM-DD, UTC); answers: up to its end")
    parser.add_argument("--weeks", type=int, help="answers only: the last N weeks, this one included (default 12)")
    parser.add_argument("-o", "--output", help="write to this file instead of standard output")
    add_actor_argument(parser)
    parser.set_defaults(func=run_report)


def parse_filters(args: argparse.Namespace):
    """Validate the filter flags; a bad value is a CommandError (exit 2) naming the flag."""
    from icam_bot.knowledge.model import PROGRAMS
    from icam_bot.tracker.export import ExportFilter
    from icam_bot.tracker.models import Status

    if args.format is None:
        raise CommandError("choose an output format: --csv or --json")
    if args.program is not None and args.program not in PROGRAMS:
        raise CommandError(f"--program must be one of {', '.join(PROGRAMS)} (got {args.program!r})")
    if args.status is not None and args.status not in STATUSES:
        raise CommandError(f"--status must be one of {', '.join(STATUSES)} (got {args.status!r})")
    since, until = date_option("--since", args.since), date_option("--until", args.until)
    if since and until and since > until:
        raise CommandError(f"--since {since} is after --until {until}")
    status = Status(args.status) if args.status else None
    return ExportFilter(program=args.program, status=status, since=since, until=until)


def open_private(path: str) -> TextIO:
    """``path`` opened for writing, readable by its owner only (0600), an existing file included."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
    except OSError:
        os.close(fd)
        raise
    return open(fd, "w", encoding="utf-8", newline="")


def describe_filters(args: argparse.Namespace) -> str:
    """The export's query as the access log records it, e.g. ``program=pacs since=2026-01-01``."""
    parts = [f"{name}={getattr(args, name)}" for name in ("program", "status", "since", "until") if getattr(args, name)]
    return " ".join(parts) or "all items"


def run_report(args: argparse.Namespace) -> int:
    if args.what == "answers":
        from icam_bot.cli.report_answers import run_answers_report

        return run_answers_report(args)
    if args.weeks is not None:
        raise CommandError("--weeks applies to `report answers` only")
    from sqlalchemy.exc import SQLAlchemyError  # lazy: keeps `icam-bot ask` start-up fast

    from icam_bot.db import make_engine, schema_status
    from icam_bot.db.session import make_session_factory
    from icam_bot.records.access import AccessAction, AccessLog, AccessNote, Outcome, Surface
    from icam_bot.tracker.export import iter_rows, write_csv, write_json

    filters = parse_filters(args)
    note = AccessNote(AccessAction.EXPORT, cli_actor(args.actor), describe_filters(args), Surface.CLI)
    settings = settings_or_exit()
    engine = make_engine(settings.database_url)
    try:
        out = open_private(args.output) if args.output else sys.stdout
    except OSError as exc:
        engine.dispose()
        raise CommandError(f"could not write the report: {exc}") from exc
    try:
        if not schema_status(engine).up_to_date:
            raise CommandError("the database schema is behind: run `icam-bot db upgrade` first")
        writer = write_csv if args.format == "csv" else write_json
        with make_session_factory(engine)() as session:
            count = writer(iter_rows(session, filters), out)
        AccessLog(engine).record(note, Outcome.ALLOWED, f"{args.format}, {count} item(s)")
    except SQLAlchemyError as exc:
        raise CommandError(f"could not read the database at DATABASE_URL: {exc.__class__.__name__}: {exc}") from exc
    except OSError as exc:
        _record_failure(AccessLog(engine), note, f"could not write the report: {exc.__class__.__name__}")
        raise CommandError(f"could not write the report: {exc}") from exc
    finally:
        if out is not sys.stdout:
            out.close()
        engine.dispose()
    print(f"{count} item(s) exported", file=sys.stderr)
    return 0


def _record_failure(log: AccessLog, note: AccessNote, detail: str) -> None:
    """Record an export that failed part-way (rows may have been written); best effort."""
    from sqlalchemy.exc import SQLAlchemyError

    from icam_bot.records.access import Outcome

    with contextlib.suppress(SQLAlchemyError):
        log.record(note, Outcome.FAILED, detail)
