"""``icam-bot kb pull``: the live additions written back as knowledge files (the categories and redirects they
touch, whole, in the knowledge format) for review and commit; once git holds them the database copies retire."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from icam_bot.knowledge.model import Entry, KnowledgeBase
from icam_bot.teaching.merge import Change, merge
from icam_bot.teaching.models import ChangeKind


def _entry_yaml(entry: Entry) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": entry.id,
        "question": entry.question,
        "alternates": list(entry.alternates),
        "answer": entry.answer,
        "tags": list(entry.tags),
        "references": [{"title": r.title, "url": r.url} for r in entry.references],
        "owner": entry.owner,
        "last_reviewed": entry.last_reviewed,
    }
    if entry.review_days != 365:
        data["review_days"] = entry.review_days
    return data


def pull(base: KnowledgeBase, changes: list[Change], out: Path) -> list[Path]:
    """Write every category file (and ``redirects.yaml``) the live ``changes`` touch, merged, into ``out``."""
    merged = merge(base, changes, 1).kb
    touched_entries = {c.target_id for c in changes if c.kind != ChangeKind.REDIRECT_EXAMPLE}
    categories = {e.category for e in merged.entries if e.id in touched_entries}
    titles = {c.slug: c.title for c in merged.categories}
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for slug in sorted(categories):
        entries = [_entry_yaml(e) for e in merged.entries if e.category == slug]
        written.append(_write(out / f"{slug}.yaml", {"category": slug, "title": titles[slug], "entries": entries}))
    if any(c.kind == ChangeKind.REDIRECT_EXAMPLE for c in changes):
        redirects = [
            {"id": r.id, "topic": r.topic, "examples": list(r.examples), "message": r.message} for r in merged.redirects
        ]
        written.append(_write(out / "redirects.yaml", {"redirects": redirects}))
    return written


def _write(path: Path, data: dict[str, Any]) -> Path:
    header = f"# Written by `icam-bot kb pull` on {dt.date.today().isoformat()}: review, then commit.\n"
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")
    return path
