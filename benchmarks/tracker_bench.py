"""Tracker latency on PostgreSQL: create p99 (target <= 10 ms); queue and stats p99 at 100,000 items (<= 50 ms).

Run: ICAM_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \
     .venv/bin/python benchmarks/tracker_bench.py [--items 100000] [--runs 300]

Runs in a throw-away schema (dropped at the end) and prints a table. Not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_support import print_table, throwaway_database, timed

from icam_bot.board.service import BoardService
from icam_bot.db import make_engine, upgrade
from icam_bot.knowledge.model import PROGRAMS
from icam_bot.programs.routing import load_programs
from icam_bot.tracker.models import Severity, Status, TrackerItem
from icam_bot.tracker.service import NewItem, TrackerService

PMO = "U0EXAMPLEPM1"


def seed(engine, count: int, open_share: float) -> None:
    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC)
    rows = []
    for n in range(count):
        created = now - dt.timedelta(minutes=rng.randrange(60 * 24 * 365))
        is_open = rng.random() < open_share
        status = (
            rng.choice([Status.NEW, Status.TRIAGED, Status.IN_PROGRESS, Status.WAITING]) if is_open else Status.CLOSED
        )
        responded = None if status is Status.NEW else created + dt.timedelta(hours=rng.uniform(0.1, 8))
        resolved = None if is_open else created + dt.timedelta(hours=rng.uniform(1, 200))
        rows.append(
            {
                "kind": "risk" if n % 20 == 0 else "issue",
                "title": f"seeded item {n}",
                "description": "seeded for the benchmark",
                "program": rng.choice(PROGRAMS),
                "severity": rng.choice(list(Severity)).value,
                "status": status.value,
                "reporter_id": f"U0BENCH{n % 5000:05d}",
                "assignee_id": "U0EXAMPLE11",
                "first_response_due_at": created + dt.timedelta(hours=8),
                "resolution_due_at": created + dt.timedelta(hours=72),
                "escalation_level": 0,
                "likelihood": rng.randint(1, 5) if n % 20 == 0 else None,
                "impact": rng.randint(1, 5) if n % 20 == 0 else None,
                "created_at": created,
                "first_response_at": responded,
                "resolved_at": resolved,
                "closed_at": resolved,
                "updated_at": created,
            }
        )
        if len(rows) == 5000:
            with engine.begin() as conn:
                conn.execute(insert(TrackerItem), rows)
            rows = []
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(TrackerItem), rows)
    # a table that has lived in production has been vacuumed by autovacuum (visibility map set, so the
    # stats counts can be answered from the index alone); do the same for the freshly seeded one
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) tracker_items"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=os.environ.get("ICAM_BENCH_DATABASE_URL") or os.environ.get("ICAM_TEST_DATABASE_URL")
    )
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--open-share", type=float, default=0.1, help="fraction of seeded items still open")
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    if not args.url or not args.url.startswith("postgresql"):
        raise SystemExit("set ICAM_BENCH_DATABASE_URL (or --url) to a PostgreSQL URL")
    with throwaway_database(args.url) as url:
        run(url, args)


def run(url: str, args: argparse.Namespace) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        service = TrackerService(engine, load_programs())
        counter = iter(range(10**9))

        def create() -> None:
            n = next(counter)
            service.create(
                NewItem(
                    kind="issue",
                    title=f"bench {n}",
                    description="PIV card not read by the laptop reader after the update.",
                    program=PROGRAMS[n % len(PROGRAMS)],
                    severity="high",
                    reporter_id="U0BENCHREP",
                )
            )

        results = [("create item (empty table)", timed(create, args.runs))]
        started = time.perf_counter()
        seed(engine, args.items, args.open_share)
        seeded_s = time.perf_counter() - started
        results.append((f"create item ({args.items:,} items)", timed(create, args.runs)))
        results.append(
            ("queue, one program", timed(lambda: service.queue(actor=PMO, program="credentialing"), args.runs))
        )
        results.append(("queue, all programs", timed(lambda: service.queue(actor=PMO), args.runs)))
        results.append(("mine", timed(lambda: service.mine(actor="U0BENCH00042"), args.runs)))
        results.append(("stats, all programs", timed(lambda: service.stats(actor=PMO), max(50, args.runs // 3))))
        board = BoardService(engine, service.programs)
        results.append(("status board (enterprise view)", timed(board.overview, max(50, args.runs // 3))))
        results.append(("top risks", timed(lambda: board.top_risks(actor=PMO), max(50, args.runs // 3))))
        results.append(
            ("stats, one program", timed(lambda: service.stats(actor=PMO, program="pacs"), max(50, args.runs // 3)))
        )
        print(
            f"PostgreSQL {engine.dialect.server_version_info}; seeded {args.items:,} items "
            f"({args.open_share:.0%} open) in {seeded_s:.1f} s\n"
        )
        print_table("operation", results)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
