"""Evidence about one ranking, read by the answerability model (:mod:`icam_bot.matching.decision`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from icam_bot.knowledge.glossary_entries import GLOSSARY_CATEGORY, glossary_slug
from icam_bot.knowledge.model import KnowledgeBase, Redirect
from icam_bot.matching.decision import FEATURES
from icam_bot.text.normalize import STOP_WORDS, tokens

if TYPE_CHECKING:
    from icam_bot.matching.engine import Matcher, Signals
    from icam_bot.matching.lexical_index import LexicalIndex

_INDEX = {name: i for i, name in enumerate(FEATURES)}


class _IndexedDoc(Protocol):
    key: str
    question: str
    category: str
    redirect: Redirect | None


@dataclass(frozen=True)
class Evidence:
    """The ranking, the best entry and the best out-of-scope pointer, and the model's feature vector."""

    ranked: list[tuple[int, float]]
    features: np.ndarray
    entry_index: int | None
    entry_score: float
    redirect_index: int | None
    redirect_score: float
    known_share: float
    #: How close the question is to one of the best entry's own phrasings (rapidfuzz ratio / 100).
    verbatim: float = 0.0


def related_pairs(kb: KnowledgeBase, docs: Sequence[_IndexedDoc]) -> dict[int, frozenset[int]]:
    """Glossary entries and the FAQ entries that own the same subject ("what is HSPD-12?").

    A glossary entry is related to every FAQ entry whose question names its term or one of its synonyms; the
    two never count as competing answers when the model measures the best entry's lead.
    """
    position = {d.key: i for i, d in enumerate(docs)}
    questions = [
        (i, f" {' '.join(tokens(d.question))} ")
        for i, d in enumerate(docs)
        if d.redirect is None and d.category != GLOSSARY_CATEGORY
    ]
    related: dict[int, set[int]] = {}
    for term in kb.glossary:
        g = position.get(glossary_slug(term.term))
        if g is None:
            continue
        names = {" ".join(tokens(n)) for n in (term.term, *term.synonyms)}
        names = {f" {n} " for n in names if n and n not in STOP_WORDS}
        for i, text in questions:
            if any(n in text for n in names):
                related.setdefault(g, set()).add(i)
                related.setdefault(i, set()).add(g)
    return {k: frozenset(v) for k, v in related.items()}


def _signal_values(matcher: Matcher, sig: Signals, pool: np.ndarray) -> dict[str, np.ndarray]:
    """Each signal over every document; the best-phrasing similarity over the re-rank pool only.

    That similarity may be computed for the pool alone on a large knowledge base, so it is always read over
    the pool: the evidence is then the same whether or not the index was pruned.
    """
    emb_max = np.full(len(sig.bm25), -1.0, dtype=np.float32)
    q = sig.query_vector
    emb_max[pool] = matcher.vector_index.best_phrasing(pool, q) if q is not None else sig.emb_max[pool]
    return {
        "emb_max": emb_max,
        "emb_centroid": sig.emb_centroid,
        "emb_answer": sig.emb_answer,
        "bm25": sig.bm25,
        "bm25_answer": sig.bm25_answer,
    }


def _margin(values: np.ndarray, index: int) -> tuple[float, float]:
    """The document's lead over the best other document on one signal, and whether it is the best."""
    if len(values) < 2:
        return float(values[index]), 1.0
    own = float(values[index])
    others = values.copy()
    others[index] = -np.inf
    best_other = float(others.max())
    return own - best_other, float(own >= best_other)


@dataclass(frozen=True)
class QueryTerms:
    """A question's distinct terms with their rarity and the documents that have them (in their phrasings or
    answer), worked out once for the coverage of many documents."""

    weights: tuple[float, ...]
    #: Each weight over the rarity of a term no document has.
    rarities: tuple[float, ...]
    phrasing_docs: tuple[frozenset[int], ...]
    answer_docs: tuple[frozenset[int], ...]
    total: float

    @classmethod
    def of(cls, lexical: LexicalIndex, terms: list[str]) -> QueryTerms:
        unique = tuple(dict.fromkeys(terms))
        weights = tuple(lexical.bm25.rarity(term) for term in unique)
        ceiling = lexical.bm25.rarity("\0")
        return cls(
            weights,
            tuple(w / ceiling for w in weights),
            tuple(lexical.bm25.documents_with(term) for term in unique),
            tuple(lexical.bm25_answer.documents_with(term) for term in unique),
            sum(weights),  # in the question's order
        )

    def coverage(self, doc: int) -> tuple[float, float]:
        """How much of the question the document speaks of: the IDF-weighted share of its terms found in the
        document's phrasings or answer, and the rarity of the rarest term it lacks (0 when it lacks none)."""
        if not self.weights:
            return 0.0, 0.0
        found = missing = 0.0
        for weight, rarity, phrasings, answer in zip(
            self.weights, self.rarities, self.phrasing_docs, self.answer_docs, strict=True
        ):
            if doc in phrasings or doc in answer:
                found += weight
            else:
                missing = max(missing, rarity)
        return found / self.total, missing


def gather_evidence(matcher: Matcher, ranked: list[tuple[int, float]], sig: Signals) -> Evidence:
    """Features of the best entry in ``ranked`` (the re-rank pool, best first)."""
    docs = matcher._docs
    x = np.zeros(len(FEATURES))
    entries = [(i, s) for i, s in ranked if docs[i].redirect is None]
    # The best out-of-scope pointer in the re-rank pool (outside it, it is not close; and on a pruned index
    # only the pool is scored exactly).
    redirect_index, redirect_score = None, -1.0
    pointers = [(i, s) for i, s in ranked if docs[i].redirect is not None]
    if pointers:
        redirect_index, redirect_score = max(pointers, key=lambda pair: pair[1])
    content = [w for w in sig.words if w not in STOP_WORDS]
    x[_INDEX["known_share"]] = sig.known_share
    x[_INDEX["length"]] = math.log1p(len(content))
    x[_INDEX["definition"]] = float(sig.definition)
    if not entries:
        return Evidence(ranked, x, None, 0.0, redirect_index, redirect_score, sig.known_share)
    top, s1 = entries[0]
    related = matcher._related.get(top, frozenset())
    s2 = next((s for i, s in entries[1:] if i not in related), 0.0)
    x[_INDEX["score"]] = s1
    x[_INDEX["gap"]] = s1 - s2
    pool = np.array([i for i, _ in ranked], dtype=int)
    values = _signal_values(matcher, sig, pool)
    for name, array in values.items():
        x[_INDEX[name]] = float(array[top])
    x[_INDEX["fuzzy"]] = matcher.doc_fuzzy(sig, [top])[0]
    x[_INDEX["emb_max_margin"]], x[_INDEX["emb_agree"]] = _margin(values["emb_max"], top)
    x[_INDEX["emb_answer_margin"]], x[_INDEX["answer_agree"]] = _margin(values["emb_answer"], top)
    x[_INDEX["bm25_margin"]], x[_INDEX["bm25_agree"]] = _margin(values["bm25"], top)
    x[_INDEX["glossary"]] = float(docs[top].category == GLOSSARY_CATEGORY)
    x[_INDEX["redirect_margin"]] = redirect_score - s1 if redirect_index is not None else -1.0
    x[_INDEX["coverage"]], x[_INDEX["missing_rare"]] = matcher.doc_coverage(sig, top)
    verbatim = float(x[_INDEX["fuzzy"]])
    return Evidence(ranked, x, top, s1, redirect_index, redirect_score, sig.known_share, verbatim)
