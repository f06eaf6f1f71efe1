"""``icam-bot audit``: who read which items, queues, risks, statistics and exports (the access log).

Reading the log is itself recorded, under ``--actor`` (default: the operating-system user).
"""

from __future__ import annotations

import argparse
import json
import sys

from icam_bot.cli.common import CommandError, add_actor_argument, cli_actor, date_option, settings_or_exit

ACTIONS = ("item_view", "queue", "risks", "stats", "export", "audit", "retention")
OUTCOMES = ("allowed", "refused", "not_found", "failed")
MAX_LIMIT = 100_000


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("audit", help="list the access log: who read which records, refusals included")
    parser.add_argument("--by", help="only events of this actor (a Slack user id or a CLI user)")
    parser.add_argument("--item", help="only events about this item (ICAM-<n>)")
    parser.add_argument("--action", choices=ACTIONS, help="only this kind of read")
    parser.add_argument("--outcome", choices=OUTCOMES, help="only this outcome")
    parser.add_argument("--since", help="on or after this date (YYYY-MM-DD, UTC)")
    parser.add_argument("--until", help="on or before this date (YYYY-MM-DD, UTC)")
    parser.add_argument("--limit", type=int, default=200, help="newest first, at most this many (default 200)")
    parser.add_argument("--json", action="store_true", help="one JSON object per event")
    add_actor_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError  # lazy: keeps `icam-bot ask` start-up fast

    from icam_bot.db import make_engine, schema_status
    from icam_bot.records.access import AccessAction, AccessFilter, AccessLog, AccessNote, Outcome, Surface
    from icam_bot.tracker.errors import InvalidItemIdError
    from icam_bot.tracker.submission import parse_item_id

    if not 0 < args.limit <= MAX_LIMIT:
        raise CommandError(f"--limit must be 1-{MAX_LIMIT:,}")
    try:
        item_id = parse_item_id(args.item) if args.item else None
    except InvalidItemIdError as exc:
        raise CommandError(f"--item: {exc}") from None
    filters = AccessFilter(
        actor=args.by,
        item_id=item_id,
        action=args.action,
        outcome=args.outcome,
        since=date_option("--since", args.since),
        until=date_option("--until", args.until),
        limit=args.limit,
    )
    given = {name: getattr(args, name) for name in ("by", "item", "action", "outcome", "since", "until")}
    target = " ".join(f"{name}={value}" for name, value in given.items() if value) or "all events"
    note = AccessNote(AccessAction.AUDIT, cli_actor(args.actor), target, Surface.CLI)
    engine = make_engine(settings_or_exit().database_url)
    try:
        if not schema_status(engine).up_to_date:
            raise CommandError("the database schema is behind: run `icam-bot db upgrade` first")
        log = AccessLog(engine)
        events = log.events(filters)
        log.record(note, Outcome.ALLOWED, f"{len(events)} event(s)")
    except SQLAlchemyError as exc:
        raise CommandError(f"could not read the database at DATABASE_URL: {exc.__class__.__name__}: {exc}") from exc
    finally:
        engine.dispose()
    out = sys.stdout
    if args.json:
        for e in events:
            row = {
                "id": e.id,
                "at": e.created_at.isoformat(),
                "actor": e.actor_id,
                "surface": e.surface,
                "action": e.action,
                "target": e.target,
                "item": None if e.item_id is None else f"ICAM-{e.item_id}",
                "outcome": e.outcome,
                "detail": e.detail,
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return 0
    if not events:
        out.write("No access events match.\n")
        return 0
    out.write(f"{'when (UTC)':<19}  {'actor':<16} {'surface':<7} {'action':<10} {'outcome':<9} target / detail\n")
    for e in events:
        when = e.created_at.strftime("%Y-%m-%d %H:%M:%S")
        detail = f"  ({e.detail})" if e.detail else ""
        out.write(f"{when:<19}  {e.actor_id:<16} {e.surface:<7} {e.action:<10} {e.outcome:<9} {e.target}{detail}\n")
    return 0
