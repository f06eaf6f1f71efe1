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
        self._doc_sets: dict[str, frozenset[int]] = {}
        for term, plist in postings.items():
            df = len(plist)
            idf = math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))
            docs = np.fromiter((d for d, _ in plist), dtype=np.int32, count=df)
            tfs = np.fromiter((t for _, t in plist), dtype=np.float32, count=df)
            norm = k1 * (1.0 - b + b * lengths[docs] / avg)
            self.idf[term] = idf
            self._docs[term] = docs
            self._weights[term] = (idf * tfs * (k1 + 1.0) / (tfs + norm)).astype(np.float32)

    def to_arrays(self, prefix: str) -> tuple[dict[str, object], dict[str, np.ndarray]]:
        """The index as plain data (JSON-ready settings and terms) and numeric arrays, names under ``prefix``."""
        terms = list(self._docs)
        lengths = np.array([len(self._docs[t]) for t in terms], dtype=np.int64)
        offsets = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(lengths)])
        empty_i, empty_f = np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        arrays = {
            f"{prefix}_idf": np.array([self.idf[t] for t in terms], dtype=np.float64),
            f"{prefix}_offsets": offsets,
            f"{prefix}_docs": np.concatenate([self._docs[t] for t in terms]) if terms else empty_i,
            f"{prefix}_weights": np.concatenate([self._weights[t] for t in terms]) if terms else empty_f,
        }
        return {"k1": self.k1, "size": self.size, "terms": terms}, arrays

    @classmethod
    def from_arrays(cls, meta: dict[str, object], arrays: dict[str, np.ndarray], prefix: str) -> BM25Index:
        """The index ``to_arrays`` described; raises ValueError/TypeError/KeyError when the parts do not fit."""
        terms, k1, size = meta["terms"], meta["k1"], meta["size"]
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise TypeError("terms is not a list of text")
        if not isinstance(k1, float) or not isinstance(size, int):
            raise TypeError("k1 or size has the wrong type")
        idf, offsets = arrays[f"{prefix}_idf"], arrays[f"{prefix}_offsets"]
        docs, weights = arrays[f"{prefix}_docs"], arrays[f"{prefix}_weights"]
        if len(idf) != len(terms) or len(offsets) != len(terms) + 1 or len(docs) != len(weights):
            raise ValueError("the arrays do not match the terms")
        if docs.dtype != np.int32 or weights.dtype != np.float32 or int(offsets[-1]) != len(docs):
            raise ValueError("the postings are malformed")
        if len(docs) and (int(docs.min()) < 0 or int(docs.max()) >= size):
            raise ValueError("a posting points outside the documents")
        index = cls.__new__(cls)
        index.k1, index.size = k1, size
        index._doc_sets = {}
        bounds = offsets.tolist()
        index.idf = dict(zip(terms, idf.tolist(), strict=True))
        index._docs = {t: docs[bounds[i] : bounds[i + 1]] for i, t in enumerate(terms)}
        index._weights = {t: weights[bounds[i] : bounds[i + 1]] for i, t in enumerate(terms)}
        return index

    def contains(self, term: str, doc: int) -> bool:
        """Whether the document contains the term (a set lookup: the re-rank asks this for every pooled document
        and every question term)."""
        return doc in self.documents_with(term)

    def documents_with(self, term: str) -> frozenset[int]:
        """The documents that contain the term."""
        docs = self._doc_sets.get(term)
        if docs is None:
            postings = self._docs.get(term)
            if postings is None:
                return frozenset()
            docs = self._doc_sets.setdefault(term, frozenset(postings.tolist()))
        return docs

    def rarity(self, term: str) -> float:
        """The term's IDF; a term no document has counts as rarer than any indexed term."""
        return self.idf.get(term, math.log(1.0 + (self.size + 0.5) / 0.5))

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
