"""Typed records of the knowledge base."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

#: Component programs that own entries and tracker items.
PROGRAMS: tuple[str, ...] = (
    "identity-management",
    "credentialing",
    "pacs",
    "application-access",
    "personnel-security",
    "governance-funding",
    "other",
)

DEFAULT_REVIEW_DAYS = 365


@dataclass(frozen=True)
class Reference:
    """A public source an answer rests on."""

    title: str
    url: str


@dataclass(frozen=True)
class Entry:
    """One question-and-answer entry of the FAQ."""

    id: str
    question: str
    alternates: tuple[str, ...]
    answer: str
    category: str
    tags: tuple[str, ...]
    references: tuple[Reference, ...]
    owner: str
    last_reviewed: dt.date
    review_days: int = DEFAULT_REVIEW_DAYS
    source_file: str = ""

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The question followed by its alternates."""
        return (self.question, *self.alternates)

    def review_due(self) -> dt.date:
        """The date by which the entry must be reviewed again."""
        return self.last_reviewed + dt.timedelta(days=self.review_days)

    def as_dict(self) -> dict[str, object]:
        """Every field, JSON-ready."""
        return {
            "id": self.id,
            "question": self.question,
            "alternates": list(self.alternates),
            "answer": self.answer,
            "category": self.category,
            "tags": list(self.tags),
            "references": [{"title": r.title, "url": r.url} for r in self.references],
            "owner": self.owner,
            "last_reviewed": self.last_reviewed.isoformat(),
            "review_days": self.review_days,
            "source_file": self.source_file,
        }


@dataclass(frozen=True)
class GlossaryTerm:
    """An acronym or term, its synonyms and a short definition."""

    term: str
    definition: str
    reference: Reference
    stands_for: str = ""
    synonyms: tuple[str, ...] = ()
    #: Other names for exactly this thing (agency names for the PIV card, ...): a question that uses one is
    #: read as if it used the everyday name, the first synonym (else the term): "my LincPass" -> "my piv card".
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Redirect:
    """An out-of-scope topic and where to send people instead."""

    id: str
    topic: str
    examples: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Category:
    """One knowledge file's category."""

    slug: str
    title: str


@dataclass
class KnowledgeBase:
    """Everything loaded from a knowledge directory."""

    entries: list[Entry]
    glossary: list[GlossaryTerm] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    site: dict[str, str] = field(default_factory=dict)
    site_is_example: bool = True
    fingerprint: str = ""

    def by_id(self) -> dict[str, Entry]:
        """Entries keyed by id."""
        return {e.id: e for e in self.entries}
