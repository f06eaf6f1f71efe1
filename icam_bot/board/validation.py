"""Field rules of the board, shared by the Slack modal and the YAML import: one place says what is valid."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from icam_bot.board.models import NAME_LEN, NOTE_LEN, Rag, WorkStatus
from icam_bot.programs.routing import USER_RE
from icam_bot.textclean import clean_text

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Statuses that may keep a due date in the past: the work is finished.
CLOSED_WORK = (WorkStatus.DONE, WorkStatus.CANCELLED)
#: The program RAG select's value meaning "no explicit RAG: derive it from the milestones".
DERIVED = "derived"

Fail = Callable[[str, str], None]
E = TypeVar("E", Rag, WorkStatus)


@dataclass(frozen=True)
class MilestoneInput:
    """A milestone as submitted (raw values; see ``check_milestone``)."""

    name: Any
    due_date: Any
    owner_id: Any = None
    status: Any = WorkStatus.PLANNED.value
    rag: Any = Rag.GREEN.value
    note: Any = None
    workstream: Any = None
    completed_on: Any = None


@dataclass(frozen=True)
class MilestoneFields:
    """A validated milestone."""

    name: str
    due_date: dt.date
    owner_id: str | None
    status: WorkStatus
    rag: Rag
    note: str | None
    workstream: str | None
    completed_on: dt.date | None


@dataclass(frozen=True)
class WorkstreamInput:
    name: Any
    owner_id: Any = None
    due_date: Any = None
    status: Any = WorkStatus.IN_PROGRESS.value
    rag: Any = Rag.GREEN.value
    note: Any = None


@dataclass(frozen=True)
class WorkstreamFields:
    name: str
    owner_id: str | None
    due_date: dt.date | None
    status: WorkStatus
    rag: Rag
    note: str | None


def check_name(value: Any, fail: Fail, field: str = "name") -> str:
    if not isinstance(value, str) or not value.strip():
        fail(field, "is required")
        return ""
    text = " ".join(clean_text(value, multiline=False).split())
    if len(text) > NAME_LEN:
        fail(field, f"must be at most {NAME_LEN} characters (got {len(text)})")
    return text


def check_note(value: Any, fail: Fail, field: str = "note") -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        fail(field, "must be one line of text")
        return None
    if "\n" in value.strip():
        fail(field, "must be a single line")
    text = " ".join(clean_text(value, multiline=False).split())
    if len(text) > NOTE_LEN:
        fail(field, f"must be at most {NOTE_LEN} characters (got {len(text)})")
    return text


def check_owner(value: Any, fail: Fail, field: str = "owner_id") -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and USER_RE.match(value):
        return value
    fail(field, f"must be a Slack user id such as U0EXAMPLE01, got {str(value)[:40]!r}")
    return None


def check_date(value: Any, fail: Fail, field: str, *, required: bool) -> dt.date | None:
    """A calendar date: a YAML date or text YYYY-MM-DD; anything else (a time, 2027-02-30, 1/2/27) fails."""
    if value is None or value == "":
        if required:
            fail(field, "is required (a date like 2027-01-31)")
        return None
    if isinstance(value, dt.datetime):
        fail(field, f"must be a date without a time, like 2027-01-31 (got {value.isoformat()})")
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and DATE_RE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            fail(field, f"is not a real calendar date: {value.strip()!r}")
            return None
    fail(field, f"must be a date like 2027-01-31 (got {str(value)[:40]!r})")
    return None


def check_choice(value: Any, kind: type[E], fail: Fail, field: str) -> E:
    try:
        return kind(str(value).strip().lower())
    except ValueError:
        fail(field, f"must be one of {', '.join(m.value for m in kind)} (got {str(value)[:40]!r})")
        return next(iter(kind))


def check_program_rag(value: Any, fail: Fail, field: str = "rag") -> Rag | None:
    """An explicit program RAG, or None for "derive it" (empty, ``derived``)."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", DERIVED)):
        return None
    return check_choice(value, Rag, fail, field)


def check_due(due: dt.date | None, status: WorkStatus, today: dt.date, fail: Fail, field: str = "due_date") -> None:
    """A due date in the past is refused unless the work is done or cancelled (historical records)."""
    if due is not None and due < today and status not in CLOSED_WORK:
        fail(
            field,
            f"{due.isoformat()} is in the past (today is {today.isoformat()}): give a future date, "
            "or mark the milestone done or cancelled",
        )


def check_milestone(raw: MilestoneInput, fail: Fail, today: dt.date) -> MilestoneFields:
    """Every field of a milestone except the past-date rule (which depends on what is stored: see the service)."""
    status = check_choice(raw.status, WorkStatus, fail, "status")
    completed = check_date(raw.completed_on, fail, "completed_on", required=False)
    if completed is not None and status is not WorkStatus.DONE:
        fail("completed_on", "is only for milestones whose status is done")
        completed = None
    if completed is not None and completed > today:
        fail("completed_on", f"{completed.isoformat()} is in the future (today is {today.isoformat()})")
    return MilestoneFields(
        name=check_name(raw.name, fail),
        due_date=check_date(raw.due_date, fail, "due_date", required=True) or today,
        owner_id=check_owner(raw.owner_id, fail),
        status=status,
        rag=check_choice(raw.rag, Rag, fail, "rag"),
        note=check_note(raw.note, fail),
        workstream=check_name(raw.workstream, fail, "workstream") if raw.workstream not in (None, "") else None,
        completed_on=completed,
    )


def check_workstream(raw: WorkstreamInput, fail: Fail) -> WorkstreamFields:
    return WorkstreamFields(
        name=check_name(raw.name, fail),
        owner_id=check_owner(raw.owner_id, fail),
        due_date=check_date(raw.due_date, fail, "due_date", required=False),
        status=check_choice(raw.status, WorkStatus, fail, "status"),
        rag=check_choice(raw.rag, Rag, fail, "rag"),
        note=check_note(raw.note, fail),
    )


class Errors:
    """Collects ``field -> message`` (first message per field wins)."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def __call__(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def __bool__(self) -> bool:
        return bool(self.errors)
