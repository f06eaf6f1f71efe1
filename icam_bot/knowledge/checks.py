"""Quality checks over a loaded knowledge base, beyond schema validation (``icam-bot kb check``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import combinations

from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from icam_bot.knowledge.glossary_entries import GLOSSARY_CATEGORY
from icam_bot.knowledge.keys import phrasing_key
from icam_bot.knowledge.model import KnowledgeBase
from icam_bot.text.normalize import normalize

#: token_sort_ratio at or above which two phrasings of different entries count as near-duplicates.
NEAR_DUPLICATE_AT = 95.0
#: Shorter keys must match exactly (acronyms that differ by a letter are different things).
MIN_FUZZY_KEY_CHARS = 20


@dataclass(frozen=True)
class Finding:
    """One result of a check: errors fail ``kb check``; warnings and notes are reported."""

    level: str  # error | warning | note
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.level.upper():7} {self.where}: {self.message}"


def stale_entries(kb: KnowledgeBase, today: dt.date, max_age_days: int | None) -> list[Finding]:
    """Entries past their review date (their own review_days, or max_age_days when that is shorter)."""
    findings = []
    for entry in kb.entries:
        due = entry.review_due()
        if max_age_days is not None:
            due = min(due, entry.last_reviewed + dt.timedelta(days=max_age_days))
        if due < today:
            findings.append(
                Finding(
                    "warning",
                    f"{entry.source_file}: {entry.id}",
                    f"last reviewed {entry.last_reviewed}, review was due {due}",
                )
            )
        elif entry.last_reviewed > today:
            findings.append(
                Finding(
                    "error", f"{entry.source_file}: {entry.id}", f"last_reviewed {entry.last_reviewed} is in the future"
                )
            )
    return findings


def near_duplicates(kb: KnowledgeBase) -> list[Finding]:
    """Phrasings of two different entries that the matcher cannot tell apart.

    Identical normalised phrasings are errors; phrasings with the same content words (stemmed, stop
    words dropped, order ignored) or a token_sort_ratio >= 95 on content words are warnings. Generated
    glossary entries are not compared with each other: they share a template by design.
    """
    keys: list[str] = []
    plain: list[str] = []
    owners: list[str] = []
    glossary: list[bool] = []
    for entry in kb.entries:
        for phrasing in entry.phrasings:
            keys.append(phrasing_key(phrasing))
            plain.append(normalize(phrasing))
            owners.append(entry.id)
            glossary.append(entry.category == GLOSSARY_CATEGORY)
    if not keys:
        return []
    scores = cdist(keys, keys, scorer=fuzz.token_sort_ratio, score_cutoff=NEAR_DUPLICATE_AT, workers=-1)
    findings = []
    seen: set[tuple[str, str]] = set()
    rows, cols = scores.nonzero()
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        if i >= j or owners[i] == owners[j] or (glossary[i] and glossary[j]) or not keys[i]:
            continue
        if keys[i] != keys[j] and min(len(keys[i]), len(keys[j])) < MIN_FUZZY_KEY_CHARS:
            continue
        pair = (min(owners[i], owners[j]), max(owners[i], owners[j]))
        if pair in seen:
            continue
        seen.add(pair)
        level = "error" if plain[i] == plain[j] else "warning"
        findings.append(
            Finding(level, f"{pair[0]} ~ {pair[1]}", f"near-duplicate phrasings {plain[i]!r} / {plain[j]!r}")
        )
    return findings


def duplicate_questions_within(kb: KnowledgeBase) -> list[Finding]:
    """An entry whose alternates repeat its own question add nothing."""
    findings = []
    for entry in kb.entries:
        norm = [normalize(p) for p in entry.phrasings]
        for a, b in combinations(range(len(norm)), 2):
            if norm[a] == norm[b]:
                findings.append(Finding("warning", entry.id, f"phrasing repeated: {entry.phrasings[b]!r}"))
    return findings


def unreferenced_entries(kb: KnowledgeBase) -> list[Finding]:
    """Entries without a public source (the loader requires one; kept as a guard for glossary terms)."""
    return [Finding("error", e.id, "has no public source") for e in kb.entries if not e.references]


def site_notes(kb: KnowledgeBase) -> list[Finding]:
    if kb.site_is_example:
        return [
            Finding(
                "note",
                "site.yaml",
                "agency-specific values are the shipped examples; set ICAM_SITE_FILE for production",
            )
        ]
    return []


def run_checks(kb: KnowledgeBase, today: dt.date | None = None, max_age_days: int | None = None) -> list[Finding]:
    """Every check; errors first."""
    today = today or dt.date.today()
    findings = (
        unreferenced_entries(kb)
        + near_duplicates(kb)
        + duplicate_questions_within(kb)
        + stale_entries(kb, today, max_age_days)
        + site_notes(kb)
    )
    order = {"error": 0, "warning": 1, "note": 2}
    return sorted(findings, key=lambda f: order[f.level])
