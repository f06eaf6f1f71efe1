"""Gradient-boosted decision trees for the answerability model (numpy only; small, shallow, logistic loss).

A linear model over the evidence cannot say "a high score is convincing only when the lead is large too"; a
few hundred shallow trees can. Training bins each feature at its quantiles and grows trees of a fixed depth by
second-order gain (as XGBoost and LightGBM do), with a minimum weight per leaf and L2 on leaf values. Trees are
stored flat (feature, threshold, left, right, value per node) so the model is plain JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np

LEAF = -1


@dataclass(frozen=True)
class Tree:
    """One tree in flat form; node 0 is the root, ``feature == LEAF`` marks a leaf holding ``value``."""

    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[float, ...]

    def predict_one(self, x: np.ndarray) -> float:
        node = 0
        while self.feature[node] != LEAF:
            node = self.left[node] if x[self.feature[node]] <= self.threshold[node] else self.right[node]
        return self.value[node]

    def predict(self, x: np.ndarray) -> np.ndarray:
        node = np.zeros(len(x), dtype=int)
        feature, threshold = np.asarray(self.feature), np.asarray(self.threshold)
        left, right, value = np.asarray(self.left), np.asarray(self.right), np.asarray(self.value)
        while True:
            inner = feature[node] != LEAF
            if not inner.any():
                return value[node]
            rows = np.flatnonzero(inner)
            at = node[rows]
            goes_left = x[rows, feature[at]] <= threshold[at]
            node[rows] = np.where(goes_left, left[at], right[at])


class _FlatTrees(NamedTuple):
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    steps: int


@dataclass(frozen=True)
class BoostedTrees:
    """A sum of trees on the logit scale: ``base + rate * sum(tree(x))``."""

    base: float
    rate: float
    trees: tuple[Tree, ...]

    def logit(self, x: np.ndarray) -> float:
        """The logit for one evidence vector: every tree walked at once, leaf values summed in tree order (the
        same sum, to the bit, as adding ``predict_one`` tree by tree)."""
        flat = self._flat
        node = flat.roots
        for _ in range(flat.steps):
            node = np.where(x[flat.feature[node]] <= flat.threshold[node], flat.left[node], flat.right[node])
        return self.base + self.rate * sum(flat.value[node].tolist())

    @cached_property
    def _flat(self) -> _FlatTrees:
        """Every tree's nodes in one set of arrays (node numbers shifted past the trees before), each tree's root,
        and the depth of the deepest tree. A leaf points to itself on both sides and reads feature 0, so a walk
        that reaches it early stays on it."""
        feature: list[int] = []
        threshold: list[float] = []
        left: list[int] = []
        right: list[int] = []
        value: list[float] = []
        roots: list[int] = []
        steps = 0
        for tree in self.trees:
            root = len(feature)
            roots.append(root)
            for i, f in enumerate(tree.feature):
                leaf = f == LEAF
                feature.append(0 if leaf else f)
                left.append(root + (i if leaf else tree.left[i]))
                right.append(root + (i if leaf else tree.right[i]))
            threshold += tree.threshold
            value += tree.value
            stack = [(0, 0)]
            while stack:
                i, depth = stack.pop()
                steps = max(steps, depth)
                if tree.feature[i] != LEAF:
                    stack += [(tree.left[i], depth + 1), (tree.right[i], depth + 1)]
        ints = [np.array(a, dtype=np.intp) for a in (feature, left, right, roots)]
        floats = [np.array(a, dtype=np.float64) for a in (threshold, value)]
        return _FlatTrees(ints[0], floats[0], ints[1], ints[2], floats[1], ints[3], steps)

    def logits(self, x: np.ndarray) -> np.ndarray:
        out = np.full(len(x), self.base)
        for tree in self.trees:
            out += self.rate * tree.predict(x)
        return out

    def to_json(self) -> dict[str, object]:
        return {
            "base": self.base,
            "rate": self.rate,
            "trees": [
                {"feature": t.feature, "threshold": t.threshold, "left": t.left, "right": t.right, "value": t.value}
                for t in self.trees
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> BoostedTrees:
        trees = tuple(
            Tree(
                tuple(int(v) for v in t["feature"]),
                tuple(float(v) for v in t["threshold"]),
                tuple(int(v) for v in t["left"]),
                tuple(int(v) for v in t["right"]),
                tuple(float(v) for v in t["value"]),
            )
            for t in data["trees"]  # type: ignore[union-attr]
        )
        return cls(float(data["base"]), float(data["rate"]), trees)  # type: ignore[arg-type]


def fit_boosted(
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray | None = None,
    *,
    rounds: int = 150,
    depth: int = 2,
    rate: float = 0.1,
    min_leaf: int = 20,
    l2: float = 1.0,
    bins: int = 32,
) -> BoostedTrees:
    """Fit trees to minimise the weighted logistic loss of labels ``y`` (0/1)."""
    weight = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=float)
    edges = [np.unique(np.quantile(x[:, j], np.linspace(0.0, 1.0, bins + 1)[1:-1])) for j in range(x.shape[1])]
    binned = np.stack([np.searchsorted(edges[j], x[:, j]) for j in range(x.shape[1])], axis=1)
    prior = float(np.clip(np.average(y, weights=weight), 1e-3, 1 - 1e-3))
    base = float(np.log(prior / (1.0 - prior)))
    logit = np.full(len(y), base)
    trees = []
    for _ in range(rounds):
        p = 1.0 / (1.0 + np.exp(-logit))
        grower = _Grower(binned, edges, weight * (p - y), weight * p * (1.0 - p), depth=depth, min_leaf=min_leaf, l2=l2)
        tree = grower.grow()
        trees.append(tree)
        logit += rate * tree.predict(x)
    return BoostedTrees(base, rate, tuple(trees))


class _Grower:
    """Grows one tree on binned features from gradients ``g`` and hessians ``h``."""

    def __init__(
        self,
        binned: np.ndarray,
        edges: list[np.ndarray],
        g: np.ndarray,
        h: np.ndarray,
        *,
        depth: int,
        min_leaf: int,
        l2: float,
    ) -> None:
        self.binned, self.edges, self.g, self.h = binned, edges, g, h
        self.depth, self.min_leaf, self.l2 = depth, min_leaf, l2
        self.nodes: list[list[float]] = []  # feature, threshold, left, right, value

    def grow(self) -> Tree:
        self._node(np.arange(len(self.g)), 0)
        feature, threshold, left, right, value = zip(*self.nodes, strict=True)
        return Tree(
            tuple(int(f) for f in feature),
            tuple(float(t) for t in threshold),
            tuple(int(i) for i in left),
            tuple(int(i) for i in right),
            tuple(float(v) for v in value),
        )

    def _node(self, rows: np.ndarray, level: int) -> int:
        index = len(self.nodes)
        g_sum, h_sum = float(self.g[rows].sum()), float(self.h[rows].sum())
        self.nodes.append([LEAF, 0.0, LEAF, LEAF, -g_sum / (h_sum + self.l2)])
        split = self._best_split(rows, g_sum, h_sum) if level < self.depth else None
        if split is None:
            return index
        feature, cut = split
        goes_left = self.binned[rows, feature] <= cut
        left = self._node(rows[goes_left], level + 1)
        right = self._node(rows[~goes_left], level + 1)
        self.nodes[index][:4] = [feature, float(self.edges[feature][cut]), left, right]
        return index

    def _best_split(self, rows: np.ndarray, g_sum: float, h_sum: float) -> tuple[int, int] | None:
        best, best_gain = None, 1e-9
        parent = g_sum * g_sum / (h_sum + self.l2)
        for j, edges in enumerate(self.edges):
            if not len(edges):
                continue
            size = len(edges) + 1
            codes = self.binned[rows, j]
            g_left = np.cumsum(np.bincount(codes, self.g[rows], size))[:-1]
            h_left = np.cumsum(np.bincount(codes, self.h[rows], size))[:-1]
            gain = g_left**2 / (h_left + self.l2) + (g_sum - g_left) ** 2 / (h_sum - h_left + self.l2) - parent
            counts = np.cumsum(np.bincount(codes, minlength=size))[:-1]
            enough = (counts >= self.min_leaf) & (len(rows) - counts >= self.min_leaf)
            gain = np.where(enough, gain, -np.inf)
            k = int(np.argmax(gain))
            if gain[k] > best_gain:
                best, best_gain = (j, k), float(gain[k])
        return best
