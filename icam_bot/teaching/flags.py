"""The guard rail on new phrasings: a phrasing that would take another entry's evaluation questions (the matcher,
with the phrasing added, now picks the new phrasing's entry for a question labelled for another entry that it
answered right before) is flagged, and waits for a second person, before it goes live."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from icam_bot.answers import Responder
from icam_bot.evaluation.dataset import DatasetError, Item, load_dataset
from icam_bot.knowledge.model import KnowledgeBase
from icam_bot.teaching.live import rebuild_matcher
from icam_bot.teaching.queue import question_key

logger = logging.getLogger(__name__)

#: Evaluation questions at least this close (token_set_ratio of their keys) to a new phrasing are re-matched.
NEAR_AT = 50.0


@dataclass(frozen=True)
class Flag:
    """An evaluation question a new phrasing would take from its own entry."""

    phrasing: str
    question: str
    expected: str


class EvaluationGuard:
    """Re-matches the evaluation questions near new phrasings with and without them."""

    def __init__(self, items: Sequence[Item] | None) -> None:
        self._items = None if items is None else [i for i in items if i.in_scope and not i.gap]

    @classmethod
    def load(cls) -> EvaluationGuard:
        """The guard over ``evaluation/``, read when first needed (none when the evaluation set is not shipped:
        nothing is flagged, and a warning says so)."""
        return cls(None)

    @property
    def items(self) -> list[Item]:
        if self._items is None:
            try:
                self._items = [i for i in load_dataset() if i.in_scope and not i.gap]
            except (DatasetError, OSError):
                logger.warning("no evaluation set found: new phrasings are not checked against it")
                self._items = []
        return self._items

    def check(self, responder: Responder, entry_id: str, phrasings: Sequence[str]) -> list[Flag]:
        """The evaluation questions of other entries that ``phrasings`` (added to ``entry_id``) would take."""
        keys = [(p, question_key(p)) for p in phrasings]
        near: list[tuple[Item, str]] = []
        for item in self.items:
            if entry_id in item.accepted:
                continue
            key = question_key(item.question)
            best = max(keys, key=lambda pk: fuzz.token_set_ratio(key, pk[1]), default=None)
            if best is not None and fuzz.token_set_ratio(key, best[1]) >= NEAR_AT:
                near.append((item, best[0]))
        if not near:
            return []
        kb = _with_phrasings(responder.kb, entry_id, phrasings)
        matcher = rebuild_matcher(responder.matcher, kb)
        flags = []
        for item, phrasing in near:
            before = responder.matcher.match(item.question)
            after = matcher.match(item.question)
            was_right = bool(before.candidates) and before.candidates[0].entry_id in item.accepted
            if was_right and after.candidates and after.candidates[0].entry_id == entry_id:
                flags.append(Flag(phrasing, item.question, str(item.expected)))
        return flags


def _with_phrasings(kb: KnowledgeBase, entry_id: str, phrasings: Sequence[str]) -> KnowledgeBase:
    entries = [
        dataclasses.replace(e, alternates=(*e.alternates, *phrasings)) if e.id == entry_id else e for e in kb.entries
    ]
    return dataclasses.replace(kb, entries=entries)
