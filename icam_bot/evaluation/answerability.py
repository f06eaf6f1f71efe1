"""Train the answerability model and choose its thresholds, on held-out KB phrasings and validation splits.

Training rows come from two places:

- **held-out phrasings of the knowledge base**: the alternates are split into folds; for each fold a matcher is
  built without them and each held-out alternate is asked as a question (redirect examples likewise, as
  off-topic questions). This gives thousands of rows without touching any evaluation question;
- **the validation splits** of every evaluation set (dev and real-world), in scope and off topic.

The label is "the best entry is the right answer". The model form (logistic regression at several strengths of
regularisation, or boosted trees of two sizes) and the validation rows' weight are chosen by out-of-fold
success on validation. Thresholds are chosen on out-of-fold probabilities of the
validation rows only (each validation fold is predicted by a model that never saw it, and all questions of one
source page sit in one fold, so a page's wording is never learnt and judged in the same round); test splits
are never read here.
"""

from __future__ import annotations

import logging
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from icam_bot.evaluation.dataset import GAP, Item
from icam_bot.evaluation.metrics import Outcome, Report, score
from icam_bot.knowledge.model import KnowledgeBase
from icam_bot.matching.boosting import fit_boosted
from icam_bot.matching.calibration import Calibration
from icam_bot.matching.decision import Choice, DecisionModel, DecisionModels, choose, fit_logistic
from icam_bot.matching.engine import MAX_CANDIDATES, Matcher

logger = logging.getLogger(__name__)

HOLDOUT_FOLDS = 5
VALIDATION_FOLDS = 5
#: Answered precision the chosen thresholds must reach on validation: over all sets together (above the 95 %
#: target on the test splits, for sampling error), and in each set a floor (a set's validation split answers a
#: few dozen questions, where one mistake moves precision by two points); likewise off-topic handling.
TARGET_PRECISION = 0.96
SET_PRECISION_FLOOR = 0.90
TARGET_OOS_HANDLED = 0.95
SET_OOS_FLOOR = 0.90
TARGET_SUGGEST_HIT = 0.90
#: Fewer "did you mean" offers than this on validation are too few to judge their hit rate.
MIN_SUGGESTIONS = 20
#: Share of validation weight against the held-out phrasings' weight, and regularisation, tried in tuning.
VALIDATION_SHARES = (0.5, 1.0, 2.0)


@dataclass(frozen=True)
class ModelChoice:
    """One candidate model form: logistic regression with L2 ``l2``, or ``rounds`` boosted trees of ``depth``."""

    kind: str
    l2: float = 1.0
    rounds: int = 0
    depth: int = 0

    def __str__(self) -> str:
        if self.kind == "logistic":
            return f"logistic l2={self.l2:g}"
        return f"boosted {self.rounds}x depth {self.depth}"


#: The model forms tried in tuning; the one with the best out-of-fold success is kept.
MODEL_CHOICES = (
    ModelChoice("logistic", l2=0.3),
    ModelChoice("logistic", l2=3.0),
    ModelChoice("logistic", l2=30.0),
    ModelChoice("boosted", rounds=100, depth=2),
    ModelChoice("boosted", rounds=200, depth=3),
)
REDIRECT_WITHIN = (-0.1, -0.05, 0.0, 0.03, 0.06, 0.1, 0.15, 0.2)


@dataclass(frozen=True)
class Trace:
    """One labelled question's ranking and evidence, computed once and replayed under any model."""

    expected: str | None
    expected_redirect: str | None
    features: np.ndarray
    candidates: tuple[str, ...]
    scores: tuple[float, ...]
    redirect_id: str | None
    redirect_score: float
    entry_score: float
    known_share: float
    origin: str  # "kb" (held-out phrasing) or the evaluation set's name
    split: str = ""
    question: str = ""
    verbatim: float = 0.0
    #: Other entries that answer the question as well.
    also: tuple[str, ...] = ()
    #: The page a real-world question comes from: all questions of one page share a validation fold.
    page: str = ""

    def accepts(self, entry_id: str) -> bool:
        """Whether ``entry_id`` answers this question."""
        return self.expected not in (None, GAP) and (entry_id == self.expected or entry_id in self.also)

    @property
    def right(self) -> bool:
        return bool(self.candidates) and self.accepts(self.candidates[0])


def trace(
    matcher: Matcher,
    question: str,
    expected: str | None,
    origin: str,
    *,
    split: str = "",
    expected_redirect: str | None = None,
    calibration: Calibration | None = None,
) -> Trace | None:
    """The trace of one question (None when it has no words to match)."""
    ev = matcher.explain(question, calibration)
    if ev is None:
        return None
    entries = [(matcher.doc_key(i), s) for i, s in ev.ranked if not matcher.doc_key(i).startswith("redirect:")]
    entries = entries[:MAX_CANDIDATES]
    redirect_id = matcher.doc_key(ev.redirect_index).split(":", 1)[1] if ev.redirect_index is not None else None
    return Trace(
        expected,
        expected_redirect,
        ev.features,
        tuple(k for k, _ in entries),
        tuple(s for _, s in entries),
        redirect_id,
        ev.redirect_score,
        ev.entry_score,
        ev.known_share,
        origin,
        split,
        question,
        ev.verbatim,
    )


def item_traces(matcher: Matcher, items: Sequence[Item]) -> list[Trace]:
    """Traces of evaluation items (an item with no words gets an empty trace that always abstains)."""
    result = []
    for item in items:
        t = trace(matcher, item.question, item.expected, item.set, split=item.split, expected_redirect=item.redirect)
        if t is not None:
            t = replace(t, also=item.also, page=item.url)
        else:
            t = Trace(
                item.expected,
                item.redirect,
                np.zeros(0),
                (),
                (),
                None,
                -1.0,
                0.0,
                0.0,
                item.set,
                item.split,
                item.question,
                also=item.also,
                page=item.url,
            )
        result.append(t)
    return result


def holdout_traces(matcher: Matcher, folds: int = HOLDOUT_FOLDS, cache_dir: Path | None = None) -> list[Trace]:
    """Each KB alternate and redirect example asked of a matcher built without it (``folds`` rebuilds)."""
    kb: KnowledgeBase = matcher.kb
    result: list[Trace] = []
    for fold in range(folds):
        entries = [
            replace(e, alternates=tuple(a for j, a in enumerate(e.alternates) if j % folds != fold)) for e in kb.entries
        ]
        redirects = [
            replace(r, examples=tuple(x for j, x in enumerate(r.examples) if j % folds != fold)) for r in kb.redirects
        ]
        fold_kb = replace(kb, entries=entries, redirects=redirects)
        fold_matcher = Matcher(
            fold_kb,
            encoder=matcher.encoder,
            use_embeddings=matcher.encoder is not None,
            cache_dir=cache_dir,
            calibration=matcher.calibrations,
            decision=DecisionModels(),
            cache_lexical=False,
        )
        fold_matcher.calibration = matcher.calibration
        for e in kb.entries:
            for j, alternate in enumerate(e.alternates):
                if j % folds == fold:
                    t = trace(fold_matcher, alternate, e.id, "kb")
                    if t is not None:
                        result.append(t)
        for r in kb.redirects:
            for j, example in enumerate(r.examples):
                if j % folds == fold:
                    t = trace(fold_matcher, example, None, "kb", expected_redirect=r.id)
                    if t is not None:
                        result.append(t)
        logger.info("held-out fold %d/%d: %d traces so far", fold + 1, folds, len(result))
    return result


def outcome(t: Trace, model: DecisionModel, confidence: float) -> Outcome:
    """What the matcher does with a traced question under a model."""
    if not len(t.features):
        return Outcome(t.expected, (), "abstain", None, None, t.expected_redirect, t.also)
    choice = choose(
        model,
        confidence,
        has_entry=bool(t.candidates),
        known_share=t.known_share,
        entry_score=t.entry_score,
        redirect_score=t.redirect_score if t.redirect_id is not None else None,
        verbatim=t.verbatim,
    )
    answered = t.candidates[0] if choice is Choice.ANSWER else None
    decision = {Choice.ANSWER: "answer", Choice.SUGGEST: "suggest"}.get(choice, "abstain")
    redirect = t.redirect_id if choice is Choice.REDIRECT else None
    return Outcome(t.expected, t.candidates, decision, answered, redirect, t.expected_redirect, t.also)


def _matrix(traces: Sequence[Trace]) -> np.ndarray:
    return np.vstack([t.features for t in traces])


def _fit(traces: Sequence[Trace], weights: np.ndarray, choice: ModelChoice) -> DecisionModel:
    x = _matrix(traces)
    y = np.array([t.right for t in traces], dtype=float)
    counts = {"kb": sum(t.origin == "kb" for t in traces), "validation": sum(t.origin != "kb" for t in traces)}
    if choice.kind == "boosted":
        trees = fit_boosted(x, y, weights, rounds=choice.rounds, depth=choice.depth)
        n = x.shape[1]
        return DecisionModel((0.0,) * n, 0.0, (0.0,) * n, (1.0,) * n, trained_on=counts, trees=trees)
    coef, intercept, mean, scale = fit_logistic(x, y, weights, choice.l2)
    return DecisionModel(tuple(coef), intercept, tuple(mean), tuple(scale), trained_on=counts)


def _weights(traces: Sequence[Trace], share: float) -> np.ndarray:
    kb = sum(t.origin == "kb" for t in traces)
    val = len(traces) - kb
    per_val = share * kb / val if val and kb else 1.0
    return np.array([1.0 if t.origin == "kb" else per_val for t in traces])


def validation_folds(val: Sequence[Trace], folds: int = VALIDATION_FOLDS) -> list[int]:
    """Each validation trace's fold: questions of one source page share a fold (a model never learns a page's
    wording and is then judged on the same page), other questions are dealt round-robin."""
    return [zlib.crc32(t.page.encode()) % folds if t.page else i % folds for i, t in enumerate(val)]


def _oof(kb_traces: list[Trace], val: list[Trace], share: float, choice: ModelChoice) -> np.ndarray:
    """Out-of-fold probabilities for the validation traces."""
    probs = np.zeros(len(val))
    folds = validation_folds(val)
    for fold in range(VALIDATION_FOLDS):
        train = kb_traces + [t for t, f in zip(val, folds, strict=True) if f != fold]
        model = fit_model(train, share, choice)
        held = [i for i, f in enumerate(folds) if f == fold]
        if held:
            probs[held] = model.probabilities(_matrix([val[i] for i in held]))
    return probs


def out_of_fold(kb_traces: list[Trace], val: Sequence[Trace], share: float, choice: ModelChoice) -> np.ndarray:
    """Out-of-fold probabilities for every validation trace, 0 for a trace with no words (it always abstains)."""
    usable = [t for t in val if len(t.features)]
    probs = iter(_oof(kb_traces, usable, share, choice))
    return np.array([next(probs) if len(t.features) else 0.0 for t in val])


def fit_model(traces: Sequence[Trace], share: float, choice: ModelChoice) -> DecisionModel:
    """A model of form ``choice`` on ``traces`` (held-out phrasings and validation rows, weighted by ``share``)."""
    return _fit(traces, _weights(traces, share), choice)


def _reports(val: list[Trace], model: DecisionModel, probs: np.ndarray) -> dict[str, Report]:
    by_set: dict[str, list[Outcome]] = {}
    for t, p in zip(val, probs, strict=True):
        by_set.setdefault(t.origin, []).append(outcome(t, model, float(p)))
    return {name: score(outcomes) for name, outcomes in by_set.items()}


def _meets(reports: dict[str, Report]) -> bool:
    """The precision and off-topic targets over all sets together, and each set's floor."""
    pooled = _pooled(reports)
    if pooled.answered and pooled.answered_precision < TARGET_PRECISION:
        return False
    if pooled.out_of_scope and pooled.oos_handled < TARGET_OOS_HANDLED:
        return False
    return all(
        (r.answered < 10 or r.answered_precision >= SET_PRECISION_FLOOR)
        and (not r.out_of_scope or r.oos_handled >= SET_OOS_FLOOR)
        for r in reports.values()
    )


def _pooled(reports: dict[str, Report]) -> Report:
    """Precision and off-topic handling over all sets (the other figures are not needed here)."""
    answered = sum(r.answered for r in reports.values())
    right = sum(r.answered_precision * r.answered for r in reports.values())
    outside = sum(r.out_of_scope for r in reports.values())
    handled = sum(r.oos_handled * r.out_of_scope for r in reports.values())
    return Report(
        in_scope=sum(r.in_scope for r in reports.values()),
        out_of_scope=outside,
        top1=0.0,
        mrr5=0.0,
        answered_precision=right / answered if answered else 0.0,
        answer_rate=0.0,
        suggest_hit_rate=0.0,
        oos_abstain=0.0,
        answered=answered,
        oos_handled=handled / outside if outside else 0.0,
    )


def _mean_success(reports: dict[str, Report]) -> float:
    return float(np.mean([r.success for r in reports.values() if r.in_scope]))


def choose_thresholds(val: list[Trace], probs: np.ndarray, model: DecisionModel) -> DecisionModel:
    """Thresholds from out-of-fold validation probabilities: answer as often as the precision target allows,
    then the redirect margin and floor, the "did you mean" floor and the related-entries floor."""
    usable = [i for i, t in enumerate(val) if len(t.features)]
    levels = sorted({round(float(probs[i]), 3) for i in usable})
    best = replace(model, answer_at=1.01, suggest_at=1.01)
    best_key = (-1.0, 0.0)
    for level in levels:
        trial = replace(model, answer_at=level, suggest_at=level)
        reports = _reports(val, trial, probs)
        if _meets(reports):
            key = (_mean_success(reports), -level)
            if key > best_key:
                best, best_key = trial, key
    # The redirect margin: most right redirects, fewest wrong ones and in-scope questions sent away. An off-topic
    # question with no redirect label (the dev set's) neither earns nor costs anything.
    best_value = -1e9
    for within in REDIRECT_WITHIN:
        trial = replace(best, redirect_within=within)
        value = 0.0
        for t, p in zip(val, probs, strict=True):
            o = outcome(t, trial, float(p))
            if o.redirect is None or (o.expected is None and o.expected_redirect is None):
                continue
            if o.expected is not None:
                value -= 1.0
            else:
                value += 1.0 if o.redirect == o.expected_redirect else -0.5
        if value > best_value:
            best, best_value = trial, value
    best = replace(best, redirect_floor=redirect_floor(val, probs, best))
    # "Did you mean": the lowest floor at which the offers still hold the right entry often enough (judged once
    # there are enough offers to judge) and off-topic questions are still declined.
    suggest_at = best.answer_at
    for level in reversed([x for x in levels if x < best.answer_at]):
        trial = replace(best, suggest_at=level)
        reports = _reports(val, trial, probs)
        pooled = score([outcome(t, trial, float(p)) for t, p in zip(val, probs, strict=True)])
        if not _meets(reports):
            break  # lower floors only offer more entries to off-topic questions
        if pooled.suggested < MIN_SUGGESTIONS or pooled.suggest_hit_rate >= TARGET_SUGGEST_HIT:
            suggest_at = level
    best = replace(best, suggest_at=suggest_at)
    # Related entries beside an abstain: the lowest ranking score at which the right entry is usually in the
    # top three among questions the model declines.
    declined = [t for t, p in zip(val, probs, strict=True) if len(t.features) and p < best.suggest_at and t.scores]
    related_at = 1.0
    for level in sorted({round(t.scores[0], 2) for t in declined}, reverse=True):
        shown = [t for t in declined if t.scores[0] >= level]
        hits = sum(any(t.accepts(c) for c in t.candidates[:3]) for t in shown)
        if len(shown) >= 5 and hits / len(shown) < 0.6:
            break
        related_at = level
    return replace(best, related_at=related_at)


def redirect_floor(val: Sequence[Trace], probs: np.ndarray, model: DecisionModel) -> float:
    """The highest redirect floor that keeps every right redirect on validation: the lowest pointer score among
    off-topic questions sent to their fitting redirect, rounded down to two decimals (0 when none is). Questions
    whose best pointer scores below every right redirect resemble no redirect's topic: made-up text, a lone word."""
    open_model = replace(model, redirect_floor=0.0)
    scores = []
    for t, p in zip(val, probs, strict=True):
        o = outcome(t, open_model, float(p))
        if o.expected is None and o.redirect is not None and o.redirect == o.expected_redirect:
            scores.append(t.redirect_score)
    if not scores:
        return 0.0
    return max(0.0, math.floor(round(min(scores) * 100, 6)) / 100)


@dataclass(frozen=True)
class Tuned:
    """The chosen model and what tuning saw."""

    model: DecisionModel
    share: float
    choice: ModelChoice
    validation: dict[str, Report]


def tune_decision(kb_traces: list[Trace], val: list[Trace]) -> Tuned:
    """Choose the validation weight and regularisation by out-of-fold success, then thresholds; refit on all."""
    usable = [t for t in val if len(t.features)]
    best: Tuned | None = None
    best_key = (-1.0,)
    for share in VALIDATION_SHARES:
        for choice in MODEL_CHOICES:
            probs = out_of_fold(kb_traces, val, share, choice)
            provisional = fit_model(kb_traces + usable, share, choice)
            model = choose_thresholds(val, probs, provisional)
            reports = _reports(val, model, probs)
            key = (_mean_success(reports),)
            logger.info("share %.1f %s: out-of-fold success %.3f", share, choice, key[0])
            if key > best_key:
                best, best_key = Tuned(model, share, choice, reports), key
    assert best is not None
    return best
