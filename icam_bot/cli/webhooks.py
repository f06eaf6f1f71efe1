"""``icam-bot webhooks``: the outbound webhooks of the routing file.

``list [--dead] [--json]`` shows the newest deliveries (``--dead``: the dead letters); ``retry ID`` sends a dead
delivery again now (then, if it still fails, the server's dispatcher keeps retrying it with backoff); ``test
[--program P]`` sends a signed ``webhook.test`` event to every configured webhook (or one program's) and prints
what each answered. Exit 1 when a test or a retry fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
from typing import TYPE_CHECKING

from icam_bot.cli.common import CommandError, add_actor_argument, cli_actor, settings_or_exit

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from icam_bot.programs.routing import ProgramsConfig
    from icam_bot.programs.webhooks import WebhookTarget
    from icam_bot.webhooks.dispatcher import WebhookDispatcher
    from icam_bot.webhooks.service import Attempt, Due, WebhookDeliveries


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("webhooks", help="outbound webhooks: list deliveries, retry a dead one, send a test event")
    commands = parser.add_subparsers(dest="webhooks_command", metavar="ACTION", required=True)
    listing = commands.add_parser("list", help="the newest deliveries, newest first")
    listing.add_argument("--dead", action="store_true", help="only the dead letters (given up after the last attempt)")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    listing.set_defaults(func=run_list)
    retry = commands.add_parser("retry", help="send a dead delivery again now")
    retry.add_argument("id", type=int, help="the delivery id (from `icam-bot webhooks list --dead`)")
    add_actor_argument(retry)
    retry.set_defaults(func=run_retry)
    test = commands.add_parser("test", help="send a signed test event to the configured webhooks and show the result")
    test.add_argument("--program", help="only this program's webhooks")
    test.set_defaults(func=run_test)


def _programs() -> ProgramsConfig:
    from icam_bot.programs.routing import ProgramsError, load_programs

    try:
        return load_programs()
    except ProgramsError as exc:
        raise CommandError(str(exc)) from exc


def _problems(targets: list[WebhookTarget]) -> None:
    from icam_bot.programs.webhooks import check_targets

    problems = check_targets(targets)
    if problems:
        raise CommandError("webhooks are not ready:\n" + "\n".join(f"  - {p}" for p in problems))


def _deliveries(owner: str) -> tuple[Engine, WebhookDeliveries]:
    from sqlalchemy.exc import SQLAlchemyError

    from icam_bot.db import make_engine, schema_status
    from icam_bot.webhooks.service import WebhookDeliveries
    from icam_bot.webhooks.settings import WebhookSettings

    settings = settings_or_exit()
    problems: list[str] = []
    webhook_settings = WebhookSettings.from_env(problems=problems)
    if problems:
        raise CommandError("; ".join(problems))
    engine = make_engine(settings.database_url)
    try:
        if not schema_status(engine).up_to_date:
            raise CommandError("the database schema is behind: run `icam-bot db upgrade` first")
    except SQLAlchemyError as exc:
        raise CommandError(f"could not use the database at DATABASE_URL: {exc.__class__.__name__}") from exc
    return engine, WebhookDeliveries(engine, owner, webhook_settings)


def run_list(args: argparse.Namespace) -> int:
    engine, deliveries = _deliveries("cli")
    try:
        rows = deliveries.listing(dead_only=args.dead, limit=max(1, min(args.limit, 10_000)))
    finally:
        engine.dispose()
    if args.json:
        for row in rows:
            print(
                json.dumps(
                    {
                        "id": row.id,
                        "event_id": row.event_id,
                        "event": row.event_type,
                        "webhook": row.target,
                        "status": row.status,
                        "attempts": row.attempts,
                        "last_status": row.last_status,
                        "last_error": row.last_error,
                        "created_at": row.created_at.isoformat(),
                    }
                )
            )
        return 0
    if not rows:
        print("no dead webhook deliveries" if args.dead else "no webhook deliveries")
        return 0
    print(f"{'ID':>6}  {'STATUS':9}  {'TRIES':>5}  {'EVENT':17}  {'WEBHOOK':32}  LAST ERROR")
    for row in rows:
        error = row.last_error or ""
        print(f"{row.id:>6}  {row.status:9}  {row.attempts:>5}  {row.event_type:17}  {row.target:32}  {error}")
    return 0


def run_retry(args: argparse.Namespace) -> int:
    import logging

    from icam_bot.db.session import make_session_factory
    from icam_bot.webhooks.dispatcher import WebhookDispatcher

    actor = cli_actor(args.actor)
    programs = _programs()
    owner = f"cli:{socket.gethostname()[:30]}:{args.id}"
    engine, deliveries = _deliveries(owner)
    try:
        queued = deliveries.retry(args.id)
        if queued is None:
            found = deliveries.get(args.id)
            state = f"is {found.status}" if found is not None else "does not exist"
            raise CommandError(f"delivery {args.id} {state}: only dead deliveries are retried")
        logging.getLogger(__name__).info("webhook delivery %d queued again by %s", args.id, actor)
        print(f"delivery {args.id} queued again by {actor}", flush=True)
        dispatcher = WebhookDispatcher(make_session_factory(engine), programs, owner, deliveries.settings)
        results = asyncio.run(_deliver_one(dispatcher, args.id))
    finally:
        engine.dispose()
    if not results:
        print(f"delivery {args.id} queued again; a running server will send it")
        return 0
    _due, attempt, status = results[0]
    answer = f"HTTP {attempt.status}" if attempt.status is not None else "no answer"
    if attempt.ok:
        print(f"delivery {args.id} to {queued.target}: delivered ({answer})")
        return 0
    print(f"delivery {args.id} to {queued.target}: failed ({attempt.error}); now {status}")
    return 1


async def _deliver_one(dispatcher: WebhookDispatcher, delivery_id: int) -> list[tuple[Due, Attempt, str | None]]:
    try:
        return await dispatcher.deliver_due(only=delivery_id)
    finally:
        await dispatcher.stop()


def run_test(args: argparse.Namespace) -> int:
    programs = _programs()
    if args.program is not None and args.program not in programs.programs:
        raise CommandError(f"--program must be one of {', '.join(programs.programs)} (got {args.program!r})")
    targets = programs.webhooks(args.program)
    if not targets:
        where = f"the {args.program} program" if args.program else "the routing file"
        print(f"no webhooks are configured in {where} ({programs.source})")
        return 0
    _problems(targets)
    from icam_bot.webhooks.settings import WebhookSettings

    problems: list[str] = []
    timeout = WebhookSettings.from_env(problems=problems).timeout_s
    if problems:
        raise CommandError("; ".join(problems))
    results = asyncio.run(_send_tests(targets, timeout))
    failed = 0
    for target, attempt in results:
        answer = f"HTTP {attempt.status}" if attempt.status is not None else "no answer"
        if attempt.ok:
            print(f"{target.key}: ok ({answer}) {target.url}")
        else:
            failed += 1
            print(f"{target.key}: FAILED ({attempt.error}) {target.url}")
    return 1 if failed else 0


async def _send_tests(targets: list[WebhookTarget], timeout: float) -> list[tuple[WebhookTarget, Attempt]]:
    import aiohttp

    from icam_bot.webhooks.events import test_payload
    from icam_bot.webhooks.sender import post_event

    async with aiohttp.ClientSession() as session:
        return [(target, await post_event(session, target, test_payload(target), timeout)) for target in targets]
