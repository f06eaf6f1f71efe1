"""BM25 over one document per entry (all phrasings, tags and glossary expansions)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np


class BM25Index:
    """Okapi BM25 with precomputed per-term posting weights; query cost grows with posting length."""

    def __init__(self, documents: list[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.size = len(documents)
        lengths = np.array([len(d) for d in documents], dtype=np.float32)
        avg = float(lengths.mean()) if self.size else 1.0
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for doc_id, doc in enumerate(documents):
            for term, tf in Counter(doc).items():
                postings[term].append((doc_id, tf))
        self.idf: dict[str, float] = {}
        self._docs: dict[str, np.ndarray] = {}
        self._weights: dict[str, np.ndarray] = {}
        for term, plist in postings.items():
            df = len(plist)
            idf = math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))
            docs = np.fromiter((d for d, _ in plist), dtype=np.int32, count=df)
            tfs = np.fromiter((t for _, t in plist), dtype=np.float32, count=df)
            norm = k1 * (1.0 - b + b * lengths[docs] / avg)
            self.idf[term] = idf
            self._docs[term] = docs
            self._weights[term] = (idf * tfs * (k1 + 1.0) / (tfs + norm)).astype(np.float32)

    def scores(self, terms: list[str]) -> tuple[np.ndarray, float]:
        """BM25 score of every document, and the best score the known query terms could reach."""
        out = np.zeros(self.size, dtype=np.float32)
        ceiling = 0.0
        for term in dict.fromkeys(terms):
            docs = self._docs.get(term)
            if docs is None:
                continue
            out[docs] += self._weights[term]
            ceiling += self.idf[term] * (self.k1 + 1.0)
        return out, ceiling
