"""What a new item must be: the submission (``NewItem``), its validation, and item ids (``ICAM-12``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from icam_bot.knowledge.model import PROGRAMS
from icam_bot.programs.routing import USER_RE
from icam_bot.textclean import clean_text
from icam_bot.tracker.errors import InvalidItemIdError, ItemValidationError
from icam_bot.tracker.models import BUREAU_LEN, PERMALINK_LEN, TARGET_LEN, TITLE_LEN, ItemKind, Severity

#: Descriptions longer than this are cut (and the result says so); Slack messages can be ~40,000 characters.
MAX_DESCRIPTION_CHARS = 8000
MAX_ITEM_ID = 2**31 - 1
TS_LEN = 32
ITEM_ID_RE = re.compile(r"^\s*(?:icam-)?#?(\d{1,10})\s*$", re.IGNORECASE)


def parse_item_id(ref: str | int) -> int:
    """``ICAM-12``, ``icam-12``, ``#12`` or ``12`` -> 12; anything else raises InvalidItemIdError."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        number = ref
    else:
        match = ITEM_ID_RE.match(ref) if isinstance(ref, str) else None
        if not match:
            raise InvalidItemIdError(f"{str(ref)[:40]!r} is not an item id; ids look like ICAM-123")
        number = int(match[1])
    if not 1 <= number <= MAX_ITEM_ID:
        raise InvalidItemIdError(f"ICAM-{number} is not a valid item id; ids look like ICAM-123")
    return number


@dataclass(frozen=True)
class NewItem:
    """A submission (e.g. from the Slack modal); validated by ``TrackerService.create``."""

    kind: str
    title: str
    description: str
    program: str
    severity: str
    reporter_id: str
    bureau: str | None = None
    channel_id: str | None = None
    thread_ts: str | None = None
    permalink: str | None = None
    likelihood: int | None = None
    impact: int | None = None
    mitigation_owner_id: str | None = None
    #: The question-log row the item was raised from (the "Log an issue" button on a reply), if any.
    question_log_id: int | None = None


def validate_submission(new: NewItem) -> tuple[dict, tuple[str, ...]]:
    """The item's column values and any notices (a cut description); raises ItemValidationError.

    Control characters are stripped from the text fields (a NUL would make the database refuse the row).
    """
    errors: dict[str, str] = {}
    notices: tuple[str, ...] = ()

    def choice(field: str, value: str, options: tuple[str, ...]) -> str:
        if value not in options:
            errors[field] = f"must be one of {', '.join(options)}"
        return value

    kind = choice("kind", new.kind, tuple(ItemKind))
    severity = choice("severity", new.severity, tuple(Severity))
    program = choice("program", new.program, PROGRAMS)
    title = clean_text(new.title).strip()
    if not title:
        errors["title"] = "is required"
    elif len(title) > TITLE_LEN:
        errors["title"] = f"must be at most {TITLE_LEN} characters (has {len(title)})"
    description = clean_text(new.description).strip()
    if not description:
        errors["description"] = "is required"
    elif len(description) > MAX_DESCRIPTION_CHARS:
        notices = (
            f"the description was {len(description):,} characters; the first {MAX_DESCRIPTION_CHARS:,} "
            "were saved (add the rest as comments)",
        )
        description = description[:MAX_DESCRIPTION_CHARS]
    if not USER_RE.match(new.reporter_id or ""):
        errors["reporter_id"] = "must be a Slack user id"
    bureau = clean_text(new.bureau, multiline=False).strip() or None
    if bureau and len(bureau) > BUREAU_LEN:
        errors["bureau"] = f"must be at most {BUREAU_LEN} characters"
    if kind == ItemKind.RISK:
        for field in ("likelihood", "impact"):
            value = getattr(new, field)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                errors[field] = "is required for a risk and must be 1-5"
        if new.mitigation_owner_id is not None and not USER_RE.match(new.mitigation_owner_id):
            errors["mitigation_owner_id"] = "must be a Slack user id"
    else:
        for field in ("likelihood", "impact", "mitigation_owner_id"):
            if getattr(new, field) is not None:
                errors[field] = "applies to risks only"
    if errors:
        raise ItemValidationError(errors)
    values = {
        "kind": ItemKind(kind),
        "title": title,
        "description": description,
        "program": program,
        "bureau": bureau,
        "severity": Severity(severity),
        "reporter_id": new.reporter_id,
        "channel_id": _bounded(new.channel_id, TARGET_LEN),
        "thread_ts": _bounded(new.thread_ts, TS_LEN),
        "permalink": _bounded(new.permalink, PERMALINK_LEN),
        "likelihood": new.likelihood,
        "impact": new.impact,
        "mitigation_owner_id": new.mitigation_owner_id,
        "question_log_id": new.question_log_id if isinstance(new.question_log_id, int) else None,
    }
    return values, notices


def _bounded(value: str | None, limit: int) -> str | None:
    """Where the item came from (channel, thread, link) is kept only when it fits its column."""
    return value if isinstance(value, str) and 0 < len(value) <= limit else None
