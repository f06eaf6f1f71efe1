"""The embedding side of the index: every document's phrasing vectors, centroid and answer vector, and the
cosine products a query needs."""

from __future__ import annotations

import numpy as np

#: Above this many indexed phrasings, the best-phrasing similarity (a scan of every phrasing vector, bound by
#: memory bandwidth) is computed only for the documents whose other signals can still rank them
#: (``add_best_phrasing``, starting from a pool of PRUNE_POOL); smaller indexes scan every phrasing.
PRUNE_PHRASINGS = 20_000
PRUNE_POOL = 256


class VectorIndex:
    """Unit vectors of each document's phrasings (grouped by document, in document order) and of its centroid and
    answer lead."""

    def __init__(
        self,
        vectors: np.ndarray,
        owner: list[int],
        answer_vectors: np.ndarray,
    ) -> None:
        count = len(answer_vectors)
        self.phrasing_count = len(vectors)
        #: Every query scans all phrasing vectors unless the index is pruned; the scan is about twice as fast with
        #: one column per phrasing (the row-per-phrasing product waits on memory). A pruned index gathers the
        #: pool's phrasings, which is cheap from rows, so it keeps rows.
        self.columns = np.ascontiguousarray(vectors.T) if len(vectors) <= PRUNE_PHRASINGS else None
        self.rows = vectors if self.columns is None else None
        self.starts = np.searchsorted(np.array(owner), np.arange(count))
        self.ends = np.append(self.starts[1:], len(vectors))
        sums = np.add.reduceat(vectors, self.starts, axis=0)
        centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
        #: Each document's centroid and answer vector, one column each (centroids first): one product per query.
        self._doc_columns = np.ascontiguousarray(np.concatenate([centroids, answer_vectors]).T)
        self._count = count

    @property
    def pruned(self) -> bool:
        """Whether queries score only the documents that can still rank (a very large knowledge base)."""
        return self.phrasing_count > PRUNE_PHRASINGS

    def phrasing_cosines(self, q: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """The query's cosine with every phrasing, or with the given phrasings (float32)."""
        if self.columns is not None:
            return q @ (self.columns if rows is None else self.columns[:, rows])
        assert self.rows is not None
        return (self.rows if rows is None else self.rows[rows]) @ q

    def best_phrasing_all(self, q: np.ndarray) -> np.ndarray:
        """The query's best cosine over each document's phrasings, for every document."""
        return np.maximum.reduceat(self.phrasing_cosines(q), self.starts)

    def best_phrasing(self, docs: np.ndarray, q: np.ndarray) -> np.ndarray:
        """The query's best cosine over each given document's phrasings."""
        counts = self.ends[docs] - self.starts[docs]
        offsets = np.cumsum(counts) - counts
        rows = np.repeat(self.starts[docs] - offsets, counts) + np.arange(int(counts.sum()))
        return np.maximum.reduceat(self.phrasing_cosines(q, rows), offsets)

    def add_best_phrasing(self, base: np.ndarray, q: np.ndarray, weight: float, keep: int) -> np.ndarray:
        """``base`` plus the weighted best-phrasing similarity, exact for every document that can be among the
        best ``keep``.

        Cosines are at most 1, so a document outside the pool scores at most ``base + weight``: when even the
        best of those stays below the pool's ``keep``-th score, no document outside could have ranked.
        """
        size = PRUNE_POOL
        while size < len(base):
            pool = np.argpartition(-base, size)[:size]
            scores = base[pool] + weight * self.best_phrasing(pool, q)
            outside = base.copy()
            outside[pool] = -np.inf
            if outside.max() + weight <= np.partition(scores, -keep)[-keep]:
                full = np.full(len(base), -np.inf)
                full[pool] = scores
                return full
            size *= 4
        return base + weight * self.best_phrasing_all(q)

    def doc_cosines(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The query's cosine with each document's centroid and with its answer lead."""
        both = q @ self._doc_columns
        return both[: self._count], both[self._count :]
