"""The matcher's fast paths give, to the bit (or, for the phrasing scan, to float32 rounding), what the plain
computations they replace give."""

from __future__ import annotations

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from icam_bot.matching.boosting import LEAF, BoostedTrees, Tree
from icam_bot.matching.decision import FEATURES, DecisionModels
from icam_bot.matching.evidence import QueryTerms
from icam_bot.text.normalize import clean_text

QUESTIONS = [
    "I forgot my PIV PIN",
    "my badge wont open the door anymore",
    "what does PACS stand for?",
    "certficate expird on my piv",
    "how do I bake sourdough bread",
    "the the the",
]


def _tree_by_tree(trees: BoostedTrees, x: np.ndarray) -> float:
    return trees.base + trees.rate * sum(t.predict_one(x) for t in trees.trees)


def test_one_row_logit_is_the_tree_by_tree_sum():
    # a leaf for a root, a two-level tree and a lopsided three-level one: walks of every length at once
    stump = Tree((LEAF,), (0.0,), (LEAF,), (LEAF,), (0.25,))
    two = Tree(
        (0, LEAF, 1, LEAF, LEAF),
        (0.5, 0.0, -0.2, 0.0, 0.0),
        (1, LEAF, 3, LEAF, LEAF),
        (2, LEAF, 4, LEAF, LEAF),
        (0.0, -1.0, 0.0, 0.5, 2.0),
    )
    three = Tree(
        (1, 2, LEAF, 0, LEAF, LEAF, LEAF),
        (0.1, 0.3, 0.0, 0.7, 0.0, 0.0, 0.0),
        (1, 2, LEAF, 4, LEAF, LEAF, LEAF),
        (6, 3, LEAF, 5, LEAF, LEAF, LEAF),
        (0.0, 0.0, 0.1, 0.0, -0.3, 0.7, 1.1),
    )
    trees = BoostedTrees(-0.4, 0.1, (stump, two, three))
    rows = np.random.default_rng(5).normal(0.3, 0.5, (300, 3))
    assert [trees.logit(r) for r in rows] == [_tree_by_tree(trees, r) for r in rows]
    assert BoostedTrees(0.3, 0.1, ()).logit(rows[0]) == 0.3


def test_the_shipped_models_one_row_logit_is_the_tree_by_tree_sum():
    model = DecisionModels.load().semantic
    if model is None or model.trees is None:
        pytest.skip("the shipped semantic model is not boosted trees")
    rows = np.random.default_rng(9).normal(0.3, 0.6, (500, len(FEATURES)))
    assert [model.trees.logit(r) for r in rows] == [_tree_by_tree(model.trees, r) for r in rows]


def _one_document_fuzzy(matcher, words: list[str], doc: int) -> float:
    """The per-document fuzzy closeness the matcher computed before it pooled the rapidfuzz calls."""
    best = process.extractOne(" ".join(words), matcher._lexical.normalized[doc], scorer=fuzz.ratio)
    return best[1] / 100.0 if best else 0.0


def test_pooled_fuzzy_and_coverage_are_the_per_document_values(matcher):
    lexical = matcher._lexical
    for question in QUESTIONS:
        sig = matcher.signals(clean_text(question))
        docs = list(range(0, len(matcher._docs), 7))
        assert matcher.doc_fuzzy(sig, docs) == [_one_document_fuzzy(matcher, sig.words, d) for d in docs]
        for doc in docs[:40]:
            # the loop ``coverage`` ran per document before the question's terms were worked out once
            unique = list(dict.fromkeys(sig.terms))
            total = found = missing = 0.0
            ceiling = lexical.bm25.rarity("\0")
            for term in unique:
                weight = lexical.bm25.rarity(term)
                total += weight
                if lexical.bm25.contains(term, doc) or lexical.bm25_answer.contains(term, doc):
                    found += weight
                else:
                    missing = max(missing, weight / ceiling)
            expected = (found / total, missing) if unique else (0.0, 0.0)
            assert matcher.doc_coverage(sig, doc) == expected
            assert QueryTerms.of(lexical, sig.terms).coverage(doc) == expected


def test_phrasing_scan_agrees_with_the_row_per_phrasing_product(matcher):
    if matcher.encoder is None:
        pytest.skip("the embedding model is not installed")
    rows = np.ascontiguousarray(matcher.vector_index.columns.T)
    for question in QUESTIONS:
        q = matcher.encoder.encode_one(clean_text(question))
        assert np.abs(matcher.vector_index.phrasing_cosines(q) - rows @ q).max() < 1e-6
        picked = np.arange(3, rows.shape[0], 11)
        assert np.abs(matcher.vector_index.phrasing_cosines(q, picked) - rows[picked] @ q).max() < 1e-6


def test_encode_one_is_the_one_text_batch(matcher):
    if matcher.encoder is None:
        pytest.skip("the embedding model is not installed")
    for question in [*QUESTIONS, ""]:
        assert np.array_equal(matcher.encoder.encode_one(question), matcher.encoder.encode([question])[0])
