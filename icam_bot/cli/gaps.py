"""``icam-bot kb gaps``: unanswered questions by frequency, for the PMO to curate the knowledge base."""

from __future__ import annotations

import argparse
import json
import sys

from icam_bot.cli.common import CommandError, settings_or_exit


def register_gaps(kb_sub: argparse._SubParsersAction) -> None:
    """Add ``gaps`` to the ``icam-bot kb`` sub-commands."""
    parser = kb_sub.add_parser("gaps", help="list questions the knowledge base could not answer, most asked first")
    parser.add_argument("--limit", type=int, default=50, help="how many to list (default 50)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per question")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError  # lazy: keeps `icam-bot ask` start-up fast

    from icam_bot.db import schema_status
    from icam_bot.questions.store import Store

    if args.limit < 1:
        raise CommandError("--limit must be at least 1")
    settings = settings_or_exit()
    store = Store.from_url(settings.database_url)
    try:
        if not schema_status(store.engine).up_to_date:
            raise CommandError("the database schema is not current: run `icam-bot db upgrade` first")
        gaps = store.top_unanswered(args.limit)
    except SQLAlchemyError as exc:
        raise CommandError(f"could not read the database at DATABASE_URL: {exc.__class__.__name__}: {exc}") from exc
    finally:
        store.close()
    out = sys.stdout
    if args.json:
        for g in gaps:
            row = {
                "question": g.text,
                "normalized": g.normalized,
                "count": g.count,
                "pmo_requests": g.pmo_requests,
                "askers": g.askers,
                "first_asked": g.first_asked_at.isoformat(),
                "last_asked": g.last_asked_at.isoformat(),
                "permalink": g.last_permalink,
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return 0
    if not gaps:
        out.write("No unanswered questions recorded.\n")
        return 0
    out.write(f"{'asked':>5} {'logged':>6} {'people':>6}  {'last asked':<16}  question\n")
    for g in gaps:
        last = g.last_asked_at.strftime("%Y-%m-%d %H:%M")
        out.write(f"{g.count:>5} {g.pmo_requests:>6} {g.askers:>6}  {last:<16}  {g.text}\n")
    return 0
