"""The answer report as CSV (one record per line, formula-safe cells) or JSON (one object)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

from icam_bot.analytics.report import COUNT_FIELDS, AnswerReport, Counts
from icam_bot.tracker.export import csv_cell

#: ``record``: ``week`` (a week and category), ``total`` (the window), ``median`` (hours from a logged question to
#: its answer over ``sample`` items) or ``topic`` (an unanswered question: ``text``, asked and logged counts).
CSV_COLUMNS = ("record", "week", "category", *COUNT_FIELDS, "hours", "sample", "text", "pmo_requests")


def _counts(counts: Counts) -> dict[str, int]:
    return {name: getattr(counts, name) for name in COUNT_FIELDS}


def csv_records(report: AnswerReport) -> Iterator[dict[str, Any]]:
    for row in report.rows:
        yield {"record": "week", "week": row.week.isoformat(), "category": row.category, **_counts(row.counts)}
    yield {
        "record": "total",
        "week": report.window.start.date().isoformat(),
        "category": "all",
        **_counts(report.total),
    }
    yield {"record": "median", "hours": report.median_hours_to_answer, "sample": report.answered_items}
    for topic in report.topics:
        yield {"record": "topic", "asked": topic.asked, "pmo_requests": topic.pmo_requests, "text": topic.text}


def write_csv(report: AnswerReport, out: TextIO) -> int:
    """Write the CSV (a header, then the records); returns how many records."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    count = 0
    for record in csv_records(report):
        writer.writerow({column: csv_cell(record.get(column)) for column in CSV_COLUMNS})
        count += 1
    return count


def as_json(report: AnswerReport) -> dict[str, Any]:
    return {
        "since": report.window.start.isoformat(),
        "until": report.window.end.isoformat(),
        "weeks": [
            {"week": week.isoformat(), **_counts(counts), "not_answered": counts.not_answered}
            for week, counts in report.by_week().items()
        ],
        "categories": [{"category": name, **_counts(counts)} for name, counts in report.by_category().items()],
        "rows": [{"week": r.week.isoformat(), "category": r.category, **_counts(r.counts)} for r in report.rows],
        "total": _counts(report.total),
        "median_hours_to_answer": report.median_hours_to_answer,
        "answered_items": report.answered_items,
        "unanswered": {
            "topics": report.unanswered_topics,
            "asks": report.unanswered_asks,
            "top": [
                {
                    "text": t.text,
                    "asked": t.asked,
                    "pmo_requests": t.pmo_requests,
                    "last_asked_at": t.last_asked_at.isoformat(),
                }
                for t in report.topics
            ],
        },
    }


def write_json(report: AnswerReport, out: TextIO) -> int:
    out.write(json.dumps(as_json(report), ensure_ascii=False, indent=1) + "\n")
    return len(report.rows)
