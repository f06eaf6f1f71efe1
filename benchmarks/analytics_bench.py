"""Answer analytics at 100,000 questions: the time of each query of the answer report and of the weekly chart,
on SQLite and PostgreSQL.

Run: .venv/bin/python benchmarks/analytics_bench.py                                  # SQLite (a temporary file)
     ICAM_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
     .venv/bin/python benchmarks/analytics_bench.py [--questions 100000] [--runs 30] [--weeks 12]

Seeds a year of questions (with feedback, unanswered questions and tracker items raised from questions) into a
throw-away database (a PostgreSQL schema dropped at the end, or a temporary SQLite file) through the migrations,
then times each query. Not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_support import print_table, throwaway_database, timed

from icam_bot.analytics import queries
from icam_bot.analytics.figures import weekly_figure
from icam_bot.analytics.period import Window
from icam_bot.analytics.report import compute_report
from icam_bot.db import make_engine, upgrade
from icam_bot.db.session import make_session_factory
from icam_bot.knowledge.model import PROGRAMS
from icam_bot.programs.severity import Severity
from icam_bot.questions.models import AnswerFeedback, QuestionLog, UnansweredQuestion
from icam_bot.tracker.models import ItemKind, Status, TrackerItem

CATEGORIES = ("piv", "pin", "certificates", "pacs", "mfa", "background", "program", "derived", "glossary", None)
#: decision -> share of questions
DECISIONS = {"answer": 0.62, "suggest": 0.14, "abstain": 0.18, "redirect": 0.06}
BATCH = 5000


def _insert(engine: Engine, table: type, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        with engine.begin() as conn:
            conn.execute(insert(table), rows[start : start + BATCH])


def seed(engine: Engine, questions: int, now: dt.datetime) -> None:
    """``questions`` over the 52 weeks before ``now``; a fifth of the answers voted on; 4% of the declined
    questions raised as tracker items (80% of them resolved); one unanswered row per 20 questions."""
    rng = random.Random(11)
    decisions, weights = list(DECISIONS), list(DECISIONS.values())
    log, votes, items = [], [], []
    for n in range(1, questions + 1):
        asked = now - dt.timedelta(seconds=rng.randrange(364 * 86400))
        decision = rng.choices(decisions, weights)[0]
        category = None if decision == "redirect" else rng.choice(CATEGORIES)
        log.append(
            {
                "id": n,
                "user_id": f"U0BENCH{n % 5000:05d}",
                "channel_id": "D0BENCH",
                "surface": "dm",
                "text": f"seeded question {n}",
                "decision": decision,
                "category": category,
                "entry_id": None,
                "score": 0.5,
                "asked_at": asked,
            }
        )
        if decision == "answer" and rng.random() < 0.2:
            voted = asked + dt.timedelta(minutes=rng.randrange(1, 600))
            votes.append(
                {
                    "entry_id": f"entry-{n % 300}",
                    "user_id": f"U0BENCH{n % 5000:05d}",
                    "message_ts": f"{n}.0",
                    "helpful": rng.random() < 0.8,
                    "category": category,
                    "created_at": voted,
                    "updated_at": voted,
                }
            )
        if decision == "abstain" and rng.random() < 0.04:
            created = asked + dt.timedelta(minutes=2)
            resolved = created + dt.timedelta(hours=rng.uniform(1, 120)) if rng.random() < 0.8 else None
            items.append(
                {
                    "kind": ItemKind.QUESTION,
                    "title": f"question {n}",
                    "description": "raised from a question",
                    "program": rng.choice(PROGRAMS),
                    "severity": Severity.MEDIUM,
                    "status": Status.RESOLVED if resolved else Status.NEW,
                    "reporter_id": "U0BENCHREP",
                    "first_response_due_at": created + dt.timedelta(hours=8),
                    "resolution_due_at": created + dt.timedelta(hours=72),
                    "escalation_level": 0,
                    "created_at": created,
                    "resolved_at": resolved,
                    "updated_at": resolved or created,
                    "question_log_id": n,
                }
            )
    gaps = [
        {
            "normalized": f"seeded gap {n}",
            "text": f"seeded gap {n}",
            "count": rng.randint(1, 40),
            "pmo_requests": rng.randint(0, 3),
            "first_asked_at": now - dt.timedelta(days=300),
            "last_asked_at": now - dt.timedelta(seconds=rng.randrange(364 * 86400)),
            "first_asked_by": "U0BENCH00001",
            "last_asked_by": "U0BENCH00002",
            "asked_by": ["U0BENCH00001", "U0BENCH00002"],
        }
        for n in range(questions // 20)
    ]
    _insert(engine, QuestionLog, log)
    _insert(engine, AnswerFeedback, votes)
    _insert(engine, TrackerItem, items)
    _insert(engine, UnansweredQuestion, gaps)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    print(f"seeded {len(log):,} questions, {len(votes):,} votes, {len(items):,} items, {len(gaps):,} unanswered")


def bench(engine: Engine, runs: int, weeks: int, now: dt.datetime) -> list[tuple[str, list[float]]]:
    sessions = make_session_factory(engine)
    window = Window.last_weeks(now, weeks)

    def run(query: Callable) -> Callable[[], object]:
        def once() -> object:
            with sessions() as session:
                return query(session)

        return once

    return [
        ("questions by week x category", timed(run(lambda s: queries.question_counts(s, window)), runs)),
        ("feedback by week x category", timed(run(lambda s: queries.feedback_counts(s, window)), runs)),
        ("questions that became items", timed(run(lambda s: queries.item_counts(s, window)), runs)),
        ("median hours to an answer", timed(run(lambda s: queries.median_hours_to_answer(s, window)), runs)),
        ("unanswered totals", timed(run(lambda s: queries.unanswered_totals(s, window)), runs)),
        ("top 10 unanswered", timed(run(lambda s: queries.top_unanswered(s, window, 10, with_text=True)), runs)),
        ("items opened / resolved by week", timed(run(lambda s: queries.weekly_items(s, window)), runs)),
        ("whole answer report", timed(run(lambda s: compute_report(s, window, with_text=True)), runs)),
        ("weekly chart (queries + PNG)", timed(run(lambda s: weekly_figure(s, now, weeks)), runs)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("ICAM_BENCH_DATABASE_URL"), help="PostgreSQL; default SQLite")
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--weeks", type=int, default=12, help="the report's window")
    args = parser.parse_args()
    now = dt.datetime.now(dt.UTC)
    with throwaway_database(args.url) as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            started = time.perf_counter()
            seed(engine, args.questions, now)
            print(
                f"{engine.dialect.name} {engine.dialect.server_version_info}; seeding took "
                f"{time.perf_counter() - started:.1f} s; window {args.weeks} weeks\n"
            )
            print_table("query", bench(engine, args.runs, args.weeks, now))
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
