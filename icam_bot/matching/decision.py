"""The answerability model: how sure the matcher may be that its best entry is the right answer.

The ranking (a weighted sum of signals) says *which* entry fits best; this model says *whether* to answer with
it. It is a logistic regression or small boosted trees (whichever validation prefers) over evidence about the
ranking (the best score, its lead over the next entry with a different answer, each signal's value and whether
the signals agree, how much of the question the knowledge base knows, the question's length), trained by
``icam-bot eval --tune`` on held-out phrasings of the knowledge base and on the validation splits, and stored
with its thresholds in ``decision.json``.
"""

from __future__ import annotations

import enum
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from icam_bot.matching.boosting import BoostedTrees

DECISION_FILE = Path(__file__).with_name("decision.json")

#: The evidence the model reads, in order.
FEATURES: tuple[str, ...] = (
    "score",
    "gap",
    "emb_max",
    "emb_centroid",
    "emb_answer",
    "bm25",
    "bm25_answer",
    "fuzzy",
    "emb_max_margin",
    "emb_answer_margin",
    "bm25_margin",
    "emb_agree",
    "bm25_agree",
    "answer_agree",
    "known_share",
    "length",
    "glossary",
    "definition",
    "redirect_margin",
    "coverage",
    "missing_rare",
)


@dataclass(frozen=True)
class DecisionModel:
    """Logistic regression (or, when ``trees`` is set, boosted trees) over :data:`FEATURES`, plus the thresholds
    chosen on validation.

    ``answer_at``: answer outright at this probability or more. ``suggest_at``: below it, offer "did you mean"
    down to this probability. ``related_at``: an abstain still lists entries whose ranking score reaches this.
    ``redirect_within``: an out-of-scope pointer is sent when the best pointer scores at least the best entry's
    score minus this (and the entry was not confident enough to answer). ``redirect_floor``: and only when the
    pointer's own score reaches this; below it the question resembles nothing (made-up text lands near some
    pointer when every score is low) and is declined instead.
    """

    coef: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    answer_at: float = 0.5
    suggest_at: float = 0.2
    related_at: float = 0.4
    redirect_within: float = 0.0
    redirect_floor: float = 0.0
    features: tuple[str, ...] = FEATURES
    trained_on: dict[str, int] = field(default_factory=dict)
    trees: BoostedTrees | None = None

    @property
    def kind(self) -> str:
        """``boosted`` or ``logistic``."""
        return "boosted" if self.trees is not None else "logistic"

    def probability(self, x: np.ndarray) -> float:
        """P(the best entry is the right answer) for one evidence vector."""
        if self.trees is not None:
            logit = self.trees.logit(x)
        else:
            z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
            logit = float(z @ np.asarray(self.coef)) + self.intercept
        return 1.0 / (1.0 + math.exp(-max(min(logit, 50.0), -50.0)))

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Probabilities for a matrix of evidence rows."""
        if self.trees is not None:
            logits = self.trees.logits(x)
        else:
            logits = ((x - np.asarray(self.mean)) / np.asarray(self.scale)) @ np.asarray(self.coef) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50)))

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["features"] = list(self.features)
        data["trees"] = self.trees.to_json() if self.trees is not None else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> DecisionModel:
        features = tuple(data.get("features", FEATURES))  # type: ignore[arg-type]
        if features != FEATURES:
            raise ValueError(f"decision model reads {features}, the matcher computes {FEATURES}: run eval --tune")
        return cls(
            coef=tuple(data["coef"]),  # type: ignore[arg-type]
            intercept=float(data["intercept"]),  # type: ignore[arg-type]
            mean=tuple(data["mean"]),  # type: ignore[arg-type]
            scale=tuple(data["scale"]),  # type: ignore[arg-type]
            answer_at=float(data["answer_at"]),  # type: ignore[arg-type]
            suggest_at=float(data["suggest_at"]),  # type: ignore[arg-type]
            related_at=float(data["related_at"]),  # type: ignore[arg-type]
            redirect_within=float(data["redirect_within"]),  # type: ignore[arg-type]
            redirect_floor=float(data.get("redirect_floor", 0.0)),  # type: ignore[arg-type]
            features=features,
            trained_on=dict(data.get("trained_on", {})),  # type: ignore[arg-type]
            trees=BoostedTrees.from_json(data["trees"]) if data.get("trees") else None,  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class DecisionModels:
    """One model for the semantic mode and one for lexical signals only; either may be missing."""

    semantic: DecisionModel | None = None
    lexical: DecisionModel | None = None

    def for_mode(self, mode: str) -> DecisionModel | None:
        return self.semantic if mode == "semantic" else self.lexical

    @classmethod
    def load(cls, path: Path = DECISION_FILE) -> DecisionModels:
        if not path.is_file():
            return cls()
        data = json.loads(path.read_text())
        return cls(**{mode: DecisionModel.from_json(data[mode]) for mode in ("semantic", "lexical") if data.get(mode)})

    def save(self, path: Path = DECISION_FILE) -> None:
        data = {
            mode: model.to_json() if model else None
            for mode, model in (("semantic", self.semantic), ("lexical", self.lexical))
        }
        path.write_text(json.dumps(data, indent=1) + "\n")


class Choice(enum.StrEnum):
    """What to do with a question, given the model's confidence."""

    ANSWER = "answer"
    REDIRECT = "redirect"
    SUGGEST = "suggest"
    ABSTAIN = "abstain"


#: A question this close (rapidfuzz ratio / 100 of the normalised texts) to one of the best entry's own
#: phrasings is that phrasing: it is answered whatever the model says (held-out training never sees one).
VERBATIM_AT = 0.97


def choose(
    model: DecisionModel,
    confidence: float,
    *,
    has_entry: bool,
    known_share: float,
    entry_score: float,
    redirect_score: float | None,
    verbatim: float = 0.0,
) -> Choice:
    """The decision policy, shared by the matcher and by tuning (which replays it on stored evidence).

    Answer a question that is one of the best entry's phrasings, or when confident; otherwise send the
    out-of-scope pointer when one scores close enough to the best entry and above the floor; otherwise offer
    "did you mean" when fairly likely; otherwise decline (listing related entries).
    """
    knows = has_entry and known_share > 0.0
    if knows and (confidence >= model.answer_at or verbatim >= VERBATIM_AT):
        return Choice.ANSWER
    if (
        redirect_score is not None
        and redirect_score >= model.redirect_floor
        and redirect_score >= entry_score - model.redirect_within
    ):
        return Choice.REDIRECT
    if knows and confidence >= model.suggest_at:
        return Choice.SUGGEST
    return Choice.ABSTAIN


def fit_logistic(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None, l2: float = 1.0, iterations: int = 50
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Weighted, L2-regularised logistic regression by Newton's method on standardised features.

    Returns ``(coef, intercept, mean, scale)``; the intercept is not regularised.
    """
    weight = np.ones(len(y)) if weight is None else weight
    mean = np.average(x, axis=0, weights=weight)
    scale = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=weight))
    scale = np.where(scale < 1e-9, 1.0, scale)
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    beta = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ beta, -50, 50)))
        grad = z.T @ (weight * (p - y)) + penalty * beta
        hess = (z * (weight * p * (1 - p))[:, None]).T @ z + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.max(np.abs(step)) < 1e-7:
            break
    return beta[:-1], float(beta[-1]), mean, scale
