"""Live additions merged into the YAML knowledge base: entries validated by the loader's own rules, phrasings
appended to their entry, examples to their redirect. What the YAML already holds is left out (and retired)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from icam_bot.knowledge.keys import phrasing_key
from icam_bot.knowledge.model import Entry, KnowledgeBase, Redirect
from icam_bot.knowledge.schema import Problem, parse_entry
from icam_bot.teaching.models import ChangeKind

logger = logging.getLogger(__name__)

#: Where a Slack-authored entry's problems are reported (``kb check``), and its ``source_file`` until pulled.
LIVE_SOURCE = "live (Slack)"


@dataclass(frozen=True)
class Change:
    """A live change detached from its session (what merging, ``kb pull`` and the queue read)."""

    id: int
    kind: str
    target_id: str
    text: str | None
    entry: dict[str, Any] | None
    status: str
    proposed_by: str
    approved_by: str | None


@dataclass
class Merged:
    """The knowledge base with the live changes in, and the changes the YAML already held (to retire)."""

    kb: KnowledgeBase
    held: list[int]
    problems: list[Problem]


def entry_from_fields(fields: dict[str, Any], problems: list[Problem], file: str = LIVE_SOURCE) -> Entry | None:
    """An entry from the knowledge format's fields (``last_reviewed`` as ISO text or a date), validated exactly
    like an entry of a knowledge file; problems are appended (named by ``file``)."""
    raw = dict(fields)
    reviewed = raw.get("last_reviewed")
    if isinstance(reviewed, str):
        with contextlib.suppress(ValueError):  # parse_entry reports it
            raw["last_reviewed"] = dt.date.fromisoformat(reviewed)
    category = raw.get("category") if isinstance(raw.get("category"), str) else ""
    entry = parse_entry(raw, 0, category, file, problems)
    return dataclasses.replace(entry, source_file=f"{category}.yaml") if entry else None


def _same_entry(a: Entry, b: Entry) -> bool:
    return dataclasses.replace(a, source_file="") == dataclasses.replace(b, source_file="")


def merge(base: KnowledgeBase, changes: Iterable[Change], version: int) -> Merged:
    """``base`` (loaded from YAML) with ``changes`` (live, in id order) applied. A change whose content the YAML
    already holds is skipped and listed in ``held``; one that no longer fits (its entry gone, or invalid) is
    skipped with a problem, never stopping the load."""
    entries = {e.id: e for e in base.entries}
    order = [e.id for e in base.entries]
    redirects = {r.id: r for r in base.redirects}
    categories = {c.slug for c in base.categories}
    yaml_ids = set(entries)
    yaml_entries = {e.id: e for e in base.entries}
    keys: dict[str, set[str]] = {}

    def yaml_keys(entry_id: str) -> set[str]:
        """The YAML entry's phrasing keys (computed for the entries changes touch only)."""
        if entry_id not in keys:
            entry = yaml_entries.get(entry_id)
            keys[entry_id] = {phrasing_key(p) for p in entry.phrasings} if entry else set()
        return keys[entry_id]

    added: dict[str, set[str]] = {}
    held: list[int] = []
    problems: list[Problem] = []
    for change in changes:
        if change.kind == ChangeKind.ENTRY and change.entry is not None:
            entry = entry_from_fields(change.entry, problems)
            if entry is None:
                continue
            if entry.category not in categories:
                problems.append(Problem(LIVE_SOURCE, entry.id, "category", "is not a category of the knowledge base"))
                continue
            current = entries.get(entry.id)
            if current is not None and entry.id in yaml_ids and _same_entry(current, entry):
                held.append(change.id)
                continue
            if current is None:
                order.append(entry.id)
            entries[entry.id] = entry
        elif change.kind == ChangeKind.PHRASING and change.text:
            target = entries.get(change.target_id)
            if target is None:
                problems.append(Problem(LIVE_SOURCE, change.target_id, "alternates", "its entry is not in the KB"))
                continue
            key = phrasing_key(change.text)
            if key in yaml_keys(target.id):  # the knowledge files hold it now: retire the database copy
                held.append(change.id)
                continue
            seen = added.setdefault(target.id, set())
            if key in seen or (target.id not in yaml_entries and key in {phrasing_key(p) for p in target.phrasings}):
                continue
            seen.add(key)
            entries[target.id] = dataclasses.replace(target, alternates=(*target.alternates, change.text))
        elif change.kind == ChangeKind.REDIRECT_EXAMPLE and change.text:
            redirect = redirects.get(change.target_id)
            if redirect is None:
                problems.append(Problem(LIVE_SOURCE, change.target_id, "examples", "its redirect is not in the KB"))
                continue
            if phrasing_key(change.text) in {phrasing_key(x) for x in redirect.examples}:
                held.append(change.id)
                continue
            redirects[redirect.id] = Redirect(
                redirect.id, redirect.topic, (*redirect.examples, change.text), redirect.message
            )
    kb = dataclasses.replace(
        base,
        entries=[entries[i] for i in order],
        redirects=[redirects[r.id] for r in base.redirects],
        fingerprint=f"{base.fingerprint}+live{version}" if version else base.fingerprint,
    )
    for problem in problems:
        logger.warning("live knowledge change skipped: %s", problem)
    return Merged(kb, held, problems)
