"""Streaming exports of tracker items as CSV or JSON, with filters."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from icam_bot.tracker.models import Status, TrackerItem

logger = logging.getLogger(__name__)

FETCH_CHUNK = 500
COLUMNS = (
    "ref",
    "kind",
    "title",
    "program",
    "bureau",
    "severity",
    "status",
    "reporter_id",
    "assignee_id",
    "escalation_level",
    "likelihood",
    "impact",
    "risk_score",
    "mitigation_owner_id",
    "created_at",
    "first_response_due_at",
    "first_response_at",
    "resolution_due_at",
    "resolved_at",
    "closed_at",
    "updated_at",
    "permalink",
    "description",
    "resolution",
)


@dataclass(frozen=True)
class ExportFilter:
    """Items created on or after ``since`` and on or before ``until`` (UTC dates), by program and status."""

    program: str | None = None
    status: Status | None = None
    since: dt.date | None = None
    until: dt.date | None = None


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)


def iter_rows(session: Session, filters: ExportFilter) -> Iterator[dict[str, Any]]:
    """Rows in id order, fetched in chunks so memory stays flat however many items there are."""
    query = select(TrackerItem).order_by(TrackerItem.id).execution_options(yield_per=FETCH_CHUNK)
    if filters.program:
        query = query.where(TrackerItem.program == filters.program)
    if filters.status:
        query = query.where(TrackerItem.status == filters.status)
    if filters.since:
        query = query.where(TrackerItem.created_at >= _start_of(filters.since))
    if filters.until:
        query = query.where(TrackerItem.created_at < _start_of(filters.until + dt.timedelta(days=1)))
    for item in session.scalars(query):
        row = {name: getattr(item, name) for name in COLUMNS}
        yield {key: _plain(value) for key, value in row.items()}
        session.expunge(item)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Status | str):
        return str(value)
    return value


#: A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A value safe to open in a spreadsheet: text that would start a formula gets a leading single quote."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({k: csv_cell(v) for k, v in row.items()})
        count += 1
    return count


def write_json(rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    """A JSON array written one item per line, so it streams."""
    out.write("[")
    count = 0
    for row in rows:
        out.write(("\n" if count == 0 else ",\n") + json.dumps(row, ensure_ascii=False))
        count += 1
    out.write("\n]\n")
    return count
