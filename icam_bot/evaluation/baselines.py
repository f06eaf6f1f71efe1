"""Naive baselines on the same knowledge base: rapidfuzz WRatio, rapidfuzz token_set_ratio, plain BM25."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from rapidfuzz import fuzz, utils
from rapidfuzz.process import cdist

from icam_bot.evaluation.dataset import Item
from icam_bot.evaluation.metrics import Outcome
from icam_bot.knowledge.model import KnowledgeBase
from icam_bot.matching.lexical import BM25Index
from icam_bot.text.normalize import content_terms, tokens

Scorer = Callable[[list[str]], np.ndarray]  # questions -> (n_questions, n_entries) scores


def fuzzy_scorer(kb: KnowledgeBase, scorer: Callable[..., float]) -> Scorer:
    """Max rapidfuzz score over each entry's phrasings, with rapidfuzz's default processor."""
    texts = [p for e in kb.entries for p in e.phrasings]
    owner = np.array([i for i, e in enumerate(kb.entries) for _ in e.phrasings])
    starts = np.searchsorted(owner, np.arange(len(kb.entries)))

    def run(questions: list[str]) -> np.ndarray:
        matrix = cdist(questions, texts, scorer=scorer, processor=utils.default_process, workers=-1)
        return np.maximum.reduceat(matrix.astype(np.float32), starts, axis=1) / 100.0

    return run


def bm25_scorer(kb: KnowledgeBase) -> Scorer:
    """BM25 over one document per entry (phrasings concatenated), stemmed, no glossary or typo handling."""
    index = BM25Index([content_terms([w for p in e.phrasings for w in tokens(p)]) for e in kb.entries])

    def run(questions: list[str]) -> np.ndarray:
        rows = []
        for q in questions:
            raw, ceiling = index.scores(content_terms(tokens(q)))
            rows.append(raw / ceiling if ceiling else raw)
        return np.vstack(rows) if rows else np.zeros((0, len(kb.entries)))

    return run


BASELINES: dict[str, Callable[[KnowledgeBase], Scorer]] = {
    "rapidfuzz WRatio": lambda kb: fuzzy_scorer(kb, fuzz.WRatio),
    "rapidfuzz token_set_ratio": lambda kb: fuzzy_scorer(kb, fuzz.token_set_ratio),
    "BM25 (plain)": bm25_scorer,
}


def outcomes_at(scores: np.ndarray, items: list[Item], ids: list[str], threshold: float) -> list[Outcome]:
    """Answer the top entry when its score reaches the threshold, otherwise abstain."""
    result = []
    for row, item in zip(scores, items, strict=True):
        order = np.argsort(-row)[:5]
        ranked = tuple(ids[i] for i in order)
        answer = bool(row[order[0]] >= threshold)
        decision = "answer" if answer else "abstain"
        result.append(
            Outcome(item.expected, ranked, decision, ranked[0] if answer else None, None, item.redirect, item.also)
        )
    return result


def best_threshold(scores: np.ndarray, items: list[Item], ids: list[str]) -> float:
    """The threshold that maximises right answers minus wrong answers (validation split)."""
    best, best_value = 1.01, -1e9
    for threshold in np.unique(np.round(scores.max(axis=1), 3)):
        value = 0
        for o in outcomes_at(scores, items, ids, float(threshold)):
            if o.decision == "answer":
                value += 1 if o.right(o.answered_id) else -1
        if value > best_value:
            best, best_value = float(threshold), value
    return best
