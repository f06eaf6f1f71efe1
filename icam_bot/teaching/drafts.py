"""A new answer written in Slack: its form's values turned into the knowledge format's fields and checked with
the loader's own rules (placeholders, lengths, at least one public source)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from icam_bot.errors import FieldsError
from icam_bot.knowledge.model import Entry, KnowledgeBase
from icam_bot.knowledge.schema import ID_RE, Problem
from icam_bot.teaching.merge import entry_from_fields
from icam_bot.text.normalize import content_terms, tokens

URL_RE = re.compile(r"https://\S+")
ID_WORDS = 6


@dataclass(frozen=True)
class AnswerForm:
    """What the "New answer" form holds (text as typed; ``sources`` one per line: a URL and, optionally, a title)."""

    question: str
    answer: str
    category: str
    owner: str
    sources: str
    review_days: int
    alternates: str = ""
    entry_id: str = ""
    tags: str = ""


def parse_sources(text: str) -> list[dict[str, str]]:
    """``https://... Title`` or ``Title | https://...`` per line; a line without a title is titled by its host."""
    refs = []
    for line in text.splitlines():
        found = URL_RE.search(line)
        if not found:
            if line.strip():
                refs.append({"title": line.strip(), "url": line.strip()})  # reported: url must start with https://
            continue
        url = found.group(0).rstrip(".,;)")
        title = (line[: found.start()] + line[found.end() :]).strip(" |-:\t") or urlparse(url).netloc
        refs.append({"title": title, "url": url})
    return refs


def new_entry_id(question: str, kb: KnowledgeBase) -> str:
    """A slug from the question's first content words, unique in ``kb``."""
    words = [w for w in content_terms(tokens(question)) if re.fullmatch(r"[a-z0-9]+", w)][:ID_WORDS] or ["answer"]
    base = "-".join(words)
    taken = {e.id for e in kb.entries}
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def entry_fields(form: AnswerForm, kb: KnowledgeBase, today: dt.date) -> dict[str, Any]:
    """The knowledge format's fields for ``form`` (JSON-ready: ``last_reviewed`` as ISO text)."""
    alternates = [line.strip() for line in form.alternates.splitlines() if line.strip()]
    return {
        "id": form.entry_id.strip() or new_entry_id(form.question, kb),
        "question": form.question.strip(),
        "alternates": list(dict.fromkeys(alternates)),
        "answer": form.answer.strip(),
        "category": form.category,
        "tags": [t.strip().lower() for t in re.split(r"[,\s]+", form.tags) if t.strip()],
        "references": parse_sources(form.sources),
        "owner": form.owner,
        "last_reviewed": today.isoformat(),
        "review_days": form.review_days,
    }


#: Which form field a knowledge field's problem is shown on.
FORM_FIELD = {"references": "sources", "id": "entry_id", "last_reviewed": "review_days"}


def validate(fields: dict[str, Any], kb: KnowledgeBase) -> Entry:
    """The entry, or FieldsError naming each form field with its problem (the same rules as ``kb check``)."""
    problems: list[Problem] = []
    entry = entry_from_fields(fields, problems)
    errors: dict[str, str] = {}
    if not isinstance(fields.get("id"), str) or not ID_RE.fullmatch(fields["id"]):
        errors["entry_id"] = "must be a lowercase slug (letters, digits, hyphens)"
    if fields.get("category") not in {c.slug for c in kb.categories}:
        errors["category"] = "must be a category of the knowledge base"
    for problem in problems:
        name = FORM_FIELD.get(problem.field, problem.field or "answer")
        errors.setdefault(name, problem.message)
    if errors or entry is None:
        raise FieldsError(errors or {"answer": "is not a valid entry"})
    return entry
