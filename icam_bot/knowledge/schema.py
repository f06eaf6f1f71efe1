"""Field-by-field validation of knowledge YAML, with errors that name file, entry and field."""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass
from typing import Any

from icam_bot.knowledge.model import PROGRAMS, Entry, GlossaryTerm, Redirect, Reference

ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_ANSWER_CHARS = 2500
MIN_ALTERNATES = 3
MIN_REDIRECT_EXAMPLES = 3

#: Agency-specific values an answer may refer to, as ``{name}``.
PLACEHOLDERS: dict[str, str] = {
    "agency_name": "the agency's short name",
    "helpdesk_contact": "how to reach the ICAM / credential help desk",
    "helpdesk_hours": "the help desk's hours",
    "it_service_desk": "the general IT service desk (non-ICAM issues)",
    "hr_contact": "human resources contact",
    "enrollment_sites": "where and how to book PIV enrollment, issuance, PIN reset, certificate update",
    "pin_retry_limit": "consecutive wrong PINs before the card locks (FIPS 201-3 caps it at 10)",
    "badge_office": "physical security / badge office for building access",
    "personnel_security_contact": "personnel security office",
    "pmo_channel": "the ICAM PMO Slack channel",
    "pmo_contact": "the ICAM PMO's email or mailbox",
    "esc_members": "who sits on the ICAM Executive Steering Committee",
    "reader_request": "how to request a smart-card reader",
    "backup_authenticator": "the approved backup phishing-resistant authenticator(s)",
    "sso_portal": "the agency's single sign-on portal",
}


@dataclass(frozen=True)
class Problem:
    """One validation problem in a YAML file, located as precisely as possible.

    ``entry`` names the entry (or, per ``item_kind``, the program) the problem is in.
    """

    file: str
    entry: str
    field: str
    message: str
    item_kind: str = "entry"

    def __str__(self) -> str:
        where = self.file
        if self.entry:
            where += f": {self.item_kind} {self.entry!r}"
        if self.field:
            where += f": field {self.field!r}"
        return f"{where}: {self.message}"


def placeholders_in(text: str) -> list[str]:
    """Names of the ``{placeholders}`` in text; raises ValueError on malformed braces."""
    names = []
    for _, name, spec, conv in string.Formatter().parse(text):
        if name is None:
            continue
        if spec or conv or not re.fullmatch(r"[a-z_]+", name):
            raise ValueError(f"malformed placeholder {{{name}}}")
        names.append(name)
    return names


class _Checker:
    """Collects problems while reading one mapping."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems

    def fail(self, entry: str, field: str, message: str) -> None:
        self.problems.append(Problem(self.file, entry, field, message))

    def text(self, data: dict[str, Any], key: str, entry: str, *, lo: int = 1, hi: int = 10_000) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(entry, key, "is required and must be non-empty text")
            return ""
        value = value.strip()
        if not lo <= len(value) <= hi:
            self.fail(entry, key, f"must be {lo}-{hi} characters (has {len(value)})")
        return value

    def texts(self, data: dict[str, Any], key: str, entry: str, *, min_items: int = 0) -> tuple[str, ...]:
        value = data.get(key, [])
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(entry, key, "must be a list of non-empty strings")
            return ()
        items = tuple(v.strip() for v in value)
        distinct = {v.casefold() for v in items}
        if len(distinct) < len(items):
            self.fail(entry, key, "has repeated items")
        if len(distinct) < min_items:
            self.fail(entry, key, f"needs at least {min_items} distinct items (has {len(distinct)})")
        return items

    def reference(self, value: Any, entry: str, key: str) -> Reference | None:
        if not isinstance(value, dict):
            self.fail(entry, key, "must be a mapping with title and url")
            return None
        title, url = value.get("title"), value.get("url")
        if not isinstance(title, str) or not title.strip():
            self.fail(entry, key, "needs a title")
            return None
        if not isinstance(url, str) or not re.fullmatch(r"https://[^\s]+", url):
            self.fail(entry, key, f"url must start with https:// (got {url!r})")
            return None
        return Reference(title.strip(), url.strip())

    def placeholders(self, text: str, entry: str, key: str) -> None:
        """Every ``{placeholder}`` in text must be well formed and one of PLACEHOLDERS."""
        try:
            names = placeholders_in(text)
        except ValueError as exc:
            self.fail(entry, key, str(exc))
            return
        for name in names:
            if name not in PLACEHOLDERS:
                self.fail(entry, key, f"unknown placeholder {{{name}}}")

    def unknown_keys(self, data: dict[str, Any], allowed: set[str], entry: str) -> None:
        for key in sorted(set(data) - allowed):
            self.fail(entry, str(key), "is not a known field")


ENTRY_FIELDS = {
    "id",
    "question",
    "alternates",
    "answer",
    "category",
    "tags",
    "references",
    "owner",
    "last_reviewed",
    "review_days",
}


def parse_entry(raw: Any, index: int, category: str, file: str, problems: list[Problem]) -> Entry | None:
    """Validate one FAQ entry; append problems and return None when it is not usable."""
    check = _Checker(file, problems)
    if not isinstance(raw, dict):
        check.fail(f"#{index + 1}", "", "must be a mapping")
        return None
    before = len(problems)
    entry_id = raw.get("id")
    label = entry_id if isinstance(entry_id, str) else f"#{index + 1}"
    if not isinstance(entry_id, str) or not ID_RE.fullmatch(entry_id):
        check.fail(label, "id", "must be a lowercase slug (letters, digits, hyphens)")
    check.unknown_keys(raw, ENTRY_FIELDS, label)
    question = check.text(raw, "question", label, lo=8, hi=250)
    alternates = check.texts(raw, "alternates", label, min_items=MIN_ALTERNATES)
    answer = check.text(raw, "answer", label, hi=MAX_ANSWER_CHARS)
    check.placeholders(answer, label, "answer")
    entry_category = raw.get("category", category)
    if entry_category != category:
        check.fail(label, "category", f"must be {category!r}, the file's category")
    tags = check.texts(raw, "tags", label)
    refs_raw = raw.get("references")
    references: list[Reference] = []
    if not isinstance(refs_raw, list) or not refs_raw:
        check.fail(label, "references", "needs at least one public source (title + url)")
    else:
        for ref in refs_raw:
            parsed = check.reference(ref, label, "references")
            if parsed:
                references.append(parsed)
    owner = raw.get("owner")
    if owner not in PROGRAMS:
        check.fail(label, "owner", f"must be one of {', '.join(PROGRAMS)}")
    reviewed = raw.get("last_reviewed")
    if not isinstance(reviewed, dt.date) or isinstance(reviewed, dt.datetime):
        check.fail(label, "last_reviewed", "must be a date (YYYY-MM-DD)")
    review_days = raw.get("review_days", 365)
    if not isinstance(review_days, int) or isinstance(review_days, bool) or not 30 <= review_days <= 730:
        check.fail(label, "review_days", "must be a whole number of days from 30 to 730")
    if len(problems) > before:
        return None
    return Entry(
        id=entry_id,
        question=question,
        alternates=alternates,
        answer=answer,
        category=category,
        tags=tuple(t.lower() for t in tags),
        references=tuple(references),
        owner=owner,
        last_reviewed=reviewed,
        review_days=review_days,
        source_file=file,
    )


GLOSSARY_FIELDS = {"term", "stands_for", "synonyms", "aliases", "definition", "reference"}


def parse_term(raw: Any, index: int, file: str, problems: list[Problem]) -> GlossaryTerm | None:
    """Validate one glossary term."""
    check = _Checker(file, problems)
    if not isinstance(raw, dict):
        check.fail(f"term #{index + 1}", "", "must be a mapping")
        return None
    before = len(problems)
    label = raw.get("term") if isinstance(raw.get("term"), str) else f"term #{index + 1}"
    check.unknown_keys(raw, GLOSSARY_FIELDS, label)
    term = check.text(raw, "term", label, hi=60)
    definition = check.text(raw, "definition", label, lo=10, hi=600)
    stands_for = raw.get("stands_for") or ""
    if not isinstance(stands_for, str):
        check.fail(label, "stands_for", "must be text")
    synonyms = check.texts(raw, "synonyms", label)
    aliases = check.texts(raw, "aliases", label)
    reference = check.reference(raw.get("reference"), label, "reference")
    if len(problems) > before or reference is None:
        return None
    return GlossaryTerm(term, definition, reference, stands_for.strip(), synonyms, aliases)


REDIRECT_FIELDS = {"id", "topic", "examples", "message"}


def parse_redirect(raw: Any, index: int, file: str, problems: list[Problem]) -> Redirect | None:
    """Validate one out-of-scope redirect."""
    check = _Checker(file, problems)
    if not isinstance(raw, dict):
        check.fail(f"redirect #{index + 1}", "", "must be a mapping")
        return None
    before = len(problems)
    rid = raw.get("id")
    label = rid if isinstance(rid, str) else f"redirect #{index + 1}"
    if not isinstance(rid, str) or not ID_RE.fullmatch(rid):
        check.fail(label, "id", "must be a lowercase slug")
    check.unknown_keys(raw, REDIRECT_FIELDS, label)
    topic = check.text(raw, "topic", label)
    examples = check.texts(raw, "examples", label, min_items=MIN_REDIRECT_EXAMPLES)
    message = check.text(raw, "message", label, hi=MAX_ANSWER_CHARS)
    check.placeholders(message, label, "message")
    if len(problems) > before:
        return None
    return Redirect(rid, topic, examples, message)
