"""Phrasings that sit closer to another entry than to their own: where questions will land on the wrong entry.

For each phrasing (question and alternates) of each FAQ entry, compare its best embedding similarity to the
entry's *other* phrasings with its best similarity to any other entry's phrasing. A phrasing whose nearest
foreign neighbour beats its own entry by more than a margin is worth rewording (say what makes this entry's
answer the right one) or removing (it asks the other entry's question). ``icam-bot kb overlaps`` prints them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from icam_bot.knowledge.glossary_entries import GLOSSARY_CATEGORY
from icam_bot.knowledge.model import KnowledgeBase
from icam_bot.matching.embedding import MiniLMEncoder
from icam_bot.matching.vector_store import VectorCache
from icam_bot.text.normalize import clean_text

DEFAULT_MARGIN = 0.05


@dataclass(frozen=True)
class Overlap:
    """A phrasing of ``entry_id`` whose nearest phrasing of another entry is closer than its own entry."""

    entry_id: str
    phrasing: str
    own: float
    other_entry_id: str
    other_phrasing: str
    other: float


def find_overlaps(
    kb: KnowledgeBase,
    encoder: MiniLMEncoder,
    *,
    cache_dir: Path | None = None,
    margin: float = DEFAULT_MARGIN,
    categories: Iterable[str] = (),
) -> list[Overlap]:
    """Overlapping phrasings of the FAQ entries (of ``categories`` when given), the worst first.

    Every entry's phrasings, glossary entries included, count as neighbours; only FAQ entries are reported.
    """
    texts: list[str] = []
    owners: list[str] = []
    for entry in kb.entries:
        for phrasing in entry.phrasings:
            texts.append(phrasing)
            owners.append(entry.id)
    if not texts:
        return []
    vectors = VectorCache(cache_dir, encoder.precision).vectors(encoder, [clean_text(t) for t in texts])
    owner = np.array(owners)
    wanted = set(categories)
    reported = {e.id for e in kb.entries if e.category != GLOSSARY_CATEGORY and (not wanted or e.category in wanted)}
    found = []
    for i, (text, entry_id) in enumerate(zip(texts, owners, strict=True)):
        if entry_id not in reported:
            continue
        sims = vectors @ vectors[i]
        sims[i] = -1.0
        same = owner == entry_id
        own = float(sims[same].max()) if same.sum() > 1 else -1.0
        foreign = np.where(same, -1.0, sims)
        j = int(foreign.argmax())
        if foreign[j] > own + margin:
            found.append(Overlap(entry_id, text, own, owners[j], texts[j], float(foreign[j])))
    found.sort(key=lambda o: o.own - o.other)
    return found
