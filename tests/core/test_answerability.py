"""The answerability model: fitting, the decision policy, the evidence it reads, and training on held-out data."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from icam_bot.evaluation.answerability import holdout_traces, outcome
from icam_bot.matching.boosting import fit_boosted
from icam_bot.matching.calibration import Calibration, CalibrationSet
from icam_bot.matching.decision import (
    FEATURES,
    Choice,
    DecisionModel,
    DecisionModels,
    choose,
    fit_logistic,
)
from icam_bot.matching.engine import Decision, Matcher
from icam_bot.matching.evidence import related_pairs


def _model(**thresholds: float) -> DecisionModel:
    n = len(FEATURES)
    base = DecisionModel((0.0,) * n, 0.0, (0.0,) * n, (1.0,) * n)
    return replace(base, **thresholds)


def test_logistic_fit_separates_and_is_calibrated():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2000, 3))
    truth = 1 / (1 + np.exp(-(2.0 * x[:, 0] - 1.0 * x[:, 1])))
    y = (rng.random(2000) < truth).astype(float)
    coef, intercept, mean, scale = fit_logistic(x, y, l2=0.1)
    assert coef[0] > 1.0
    assert coef[1] < -0.5
    assert abs(coef[2]) < 0.2
    z = (x - mean) / scale
    p = 1 / (1 + np.exp(-(z @ coef + intercept)))
    # calibrated: the mean prediction matches the base rate, and confident predictions are mostly right
    assert p.mean() == pytest.approx(y.mean(), abs=0.02)
    assert y[p > 0.9].mean() > 0.85


def test_weights_change_the_fit():
    x = np.array([[0.0], [1.0], [0.0], [1.0]])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    _, even, _, _ = fit_logistic(x, y)
    _, leaning, _, _ = fit_logistic(x, y, weight=np.array([1.0, 1.0, 5.0, 1.0]))
    assert leaning > even


def test_boosted_trees_learn_an_interaction_a_linear_model_cannot():
    # right only when the score is high AND the lead is large: a linear model blurs it, trees find it
    rng = np.random.default_rng(3)
    x = rng.random((3000, 3))
    y = ((x[:, 0] > 0.6) & (x[:, 1] > 0.4)).astype(float)
    trees = fit_boosted(x, y, rounds=60, depth=2)
    boosted = (trees.logits(x) > 0) == (y > 0.5)
    coef, intercept, mean, scale = fit_logistic(x, y, l2=0.1)
    linear = ((((x - mean) / scale) @ coef + intercept) > 0) == (y > 0.5)
    assert boosted.mean() > 0.97
    assert boosted.mean() > linear.mean() + 0.03
    # one row at a time gives what the vectorised path gives
    assert [trees.logit(row) for row in x[:20]] == pytest.approx(list(trees.logits(x[:20])))


def test_weights_steer_the_boosted_fit():
    x = np.array([[0.0], [1.0]] * 50)
    y = np.array([0.0, 1.0] * 50)
    y[:20:2] = 1.0  # some noise at x = 0
    light = fit_boosted(x, y, rounds=30, depth=1, min_leaf=5).logits(np.array([[0.0]]))[0]
    weight = np.where((x[:, 0] == 0.0) & (y == 1.0), 10.0, 1.0)
    heavy = fit_boosted(x, y, weight, rounds=30, depth=1, min_leaf=5).logits(np.array([[0.0]]))[0]
    assert heavy > light


def test_boosted_model_round_trips_through_json(tmp_path):
    rng = np.random.default_rng(5)
    n = len(FEATURES)
    x = rng.random((400, n))
    y = (x[:, 0] + x[:, 1] > 1.0).astype(float)
    model = replace(_model(answer_at=0.7), trees=fit_boosted(x, y, rounds=20, depth=3))
    path = tmp_path / "decision.json"
    DecisionModels(semantic=model).save(path)
    loaded = DecisionModels.load(path).semantic
    assert loaded is not None
    assert loaded.kind == "boosted"
    assert loaded == model
    assert loaded.probabilities(x[:10]) == pytest.approx([loaded.probability(row) for row in x[:10]])


def test_model_round_trips_through_json(tmp_path):
    model = _model(answer_at=0.8, suggest_at=0.3, related_at=0.5, redirect_within=0.05, redirect_floor=0.25)
    path = tmp_path / "decision.json"
    DecisionModels(semantic=model).save(path)
    loaded = DecisionModels.load(path)
    assert loaded.semantic == model
    assert loaded.lexical is None
    assert DecisionModels.load(tmp_path / "missing.json") == DecisionModels()
    # a model saved before the redirect floor existed loads with no floor
    data = model.to_json()
    del data["redirect_floor"]
    assert DecisionModel.from_json(data).redirect_floor == 0.0


def test_a_model_for_other_features_is_refused():
    data = _model().to_json()
    data["features"] = ["score", "gap"]
    with pytest.raises(ValueError, match="eval --tune"):
        DecisionModel.from_json(data)


@pytest.mark.parametrize(
    ("confidence", "redirect_score", "expected"),
    [
        (0.9, None, Choice.ANSWER),
        (0.9, 0.8, Choice.ANSWER),  # a confident entry wins over a pointer elsewhere
        (0.5, 0.62, Choice.REDIRECT),  # the pointer scores close enough to the entry
        (0.5, 0.40, Choice.SUGGEST),
        (0.1, None, Choice.ABSTAIN),
    ],
)
def test_policy(confidence, redirect_score, expected):
    model = _model(answer_at=0.8, suggest_at=0.3, redirect_within=0.05)
    choice = choose(model, confidence, has_entry=True, known_share=1.0, entry_score=0.65, redirect_score=redirect_score)
    assert choice is expected


def test_a_pointer_below_the_floor_is_not_sent():
    model = _model(answer_at=0.8, suggest_at=0.3, redirect_within=0.05, redirect_floor=0.4)
    # close to the best entry, but both scores say the question resembles nothing: declined, not sent elsewhere
    assert choose(model, 0.1, has_entry=True, known_share=1.0, entry_score=0.3, redirect_score=0.31) is Choice.ABSTAIN
    assert choose(model, 0.1, has_entry=True, known_share=1.0, entry_score=0.45, redirect_score=0.46) is (
        Choice.REDIRECT
    )


def test_the_redirect_floor_keeps_every_right_redirect_on_validation():
    from icam_bot.evaluation.answerability import Trace, redirect_floor

    model = _model(answer_at=0.8, suggest_at=0.3, redirect_within=0.05)
    x = np.zeros(len(FEATURES))

    def off_topic(redirect_score: float, fitting: str | None, pointer: str = "facilities") -> Trace:
        return Trace(None, fitting, x, ("e1",), (0.3,), pointer, redirect_score, 0.3, 1.0, "real-world", "validation")

    val = [
        off_topic(0.613, "facilities"),
        off_topic(0.2871, "facilities"),  # the lowest right redirect
        off_topic(0.262, "none"),  # sent to a pointer though nothing fits: below the floor
        off_topic(0.27, "hr-benefits"),  # the wrong pointer does not set the floor
    ]
    probs = np.zeros(len(val))
    floor = redirect_floor(val, probs, model)
    assert floor == pytest.approx(0.28)
    kept = replace(model, redirect_floor=floor)
    assert outcome(val[0], kept, 0.0).redirect == "facilities"
    assert outcome(val[1], kept, 0.0).redirect == "facilities"
    assert outcome(val[2], kept, 0.0).redirect is None
    assert redirect_floor(val[2:3], probs[:1], model) == 0.0  # no right redirect: no floor


def test_made_up_text_near_a_redirect_is_declined_by_the_shipped_model(matcher):
    question = "fuzzy pickle trombone"
    evidence = matcher.explain(question)
    assert evidence is not None
    assert evidence.redirect_index is not None  # a pointer scores close to the best entry
    model = matcher.decision_model
    assert model is not None
    assert model.redirect_floor > 0.0
    assert evidence.redirect_score < model.redirect_floor
    result = matcher.decide(question, matcher.signals(question), matcher.calibration)
    assert result.redirect is None
    assert result.decision is Decision.ABSTAIN
    without_floor = matcher.decide(
        question, matcher.signals(question), matcher.calibration, model=replace(model, redirect_floor=0.0)
    )
    assert without_floor.redirect is not None


def test_unknown_words_never_answer():
    model = _model(answer_at=0.5, suggest_at=0.2)
    assert choose(model, 0.99, has_entry=True, known_share=0.0, entry_score=0.9, redirect_score=None) is Choice.ABSTAIN


def test_glossary_term_and_the_faq_entry_on_it_are_related(kb, matcher):
    related = matcher._related
    keys = {d.key: i for i, d in enumerate(matcher._docs)}
    assert keys["piv-hspd12-control-objectives"] in related[keys["glossary-hspd-12"]]
    assert keys["glossary-hspd-12"] in related[keys["piv-hspd12-control-objectives"]]
    assert related_pairs(replace(kb, glossary=[]), matcher._docs) == {}


def test_evidence_describes_the_ranking(matcher):
    ev = matcher.explain("how long is a piv card good for")
    assert ev is not None
    assert matcher.doc_key(ev.entry_index) == "piv-card-lifetime"
    values = dict(zip(FEATURES, ev.features, strict=True))
    assert values["score"] == pytest.approx(ev.entry_score)
    assert values["gap"] > 0
    assert values["known_share"] == 1.0
    assert values["emb_max"] > 0.5
    assert matcher.explain("??? !!!") is None


def test_abstain_lists_related_entries(matcher):
    model = _model(answer_at=2.0, suggest_at=2.0, related_at=0.0, redirect_within=-9.0)
    result = matcher.decide(
        "how long is a piv card good for",
        matcher.signals("how long is a piv card good for"),
        matcher.calibration,
        model=model,
    )
    assert result.decision is Decision.ABSTAIN
    assert result.suggestions
    assert result.suggestions[0].entry_id == "piv-card-lifetime"
    assert result.confidence is not None


def test_held_out_phrasings_are_asked_of_a_matcher_without_them(kb):
    small = replace(kb, entries=[e for e in kb.entries if e.category == "physical-access"], glossary=[])
    matcher = Matcher(small, use_embeddings=False, decision=DecisionModels())
    traces = holdout_traces(matcher, folds=3)
    asked = sum(len(e.alternates) for e in small.entries) + sum(len(r.examples) for r in small.redirects)
    # every held-out phrasing is asked once; the few made only of stop words ("how are you") have nothing to match
    assert asked - 8 <= len(traces) <= asked
    assert {t.origin for t in traces} == {"kb"}
    in_scope = [t for t in traces if t.expected is not None]
    # most held-out phrasings still find their entry, but not all: the rows carry both labels
    right = sum(t.right for t in in_scope) / len(in_scope)
    assert 0.5 < right < 1.0
    off_topic = [t for t in traces if t.expected is None]
    assert off_topic
    assert all(t.expected_redirect for t in off_topic)
    # replaying a trace under a model gives the same policy as the matcher
    model = _model(answer_at=0.4, suggest_at=0.2)
    o = outcome(in_scope[0], model, 0.5)
    assert o.decision == "answer"
    assert o.answered_id == in_scope[0].candidates[0]


def _synthetic(n: int, origin: str, rng: np.random.Generator, split: str = "validation") -> list:
    from icam_bot.evaluation.answerability import Trace

    traces = []
    for k in range(n):
        expected = f"e{k % 7}" if rng.random() < 0.9 else None
        right = expected is not None and rng.random() < 0.7
        x = np.zeros(len(FEATURES))
        x[FEATURES.index("score")] = rng.normal(0.7 if right else 0.45, 0.1)
        x[FEATURES.index("known_share")] = 1.0
        top = expected if right and expected else "other"
        traces.append(
            Trace(
                expected, None, x, (top, "x", "y"), (float(x[0]), 0.2, 0.1), None, -1.0, float(x[0]), 1.0, origin, split
            )
        )
    return traces


def test_tuning_meets_the_precision_target_on_out_of_fold_predictions():
    from icam_bot.evaluation.answerability import TARGET_PRECISION, tune_decision

    rng = np.random.default_rng(3)
    tuned = tune_decision(_synthetic(600, "kb", rng, split=""), _synthetic(300, "dev", rng))
    report = tuned.validation["dev"]
    assert report.answered_precision >= TARGET_PRECISION
    assert report.success > 0.3
    assert 0.0 < tuned.model.answer_at < 1.0
    assert tuned.model.suggest_at <= tuned.model.answer_at


def test_questions_of_one_page_share_a_validation_fold():
    from icam_bot.evaluation.answerability import VALIDATION_FOLDS, validation_folds

    rng = np.random.default_rng(5)
    traces = _synthetic(60, "real-world", rng)
    pages = [f"https://example.gov/faq/{i % 7}" if i < 40 else "" for i in range(len(traces))]
    traces = [replace(t, page=page) for t, page in zip(traces, pages, strict=True)]
    folds = validation_folds(traces)
    by_page: dict[str, set[int]] = {}
    for page, fold in zip(pages, folds, strict=True):
        if page:
            by_page.setdefault(page, set()).add(fold)
    assert all(len(f) == 1 for f in by_page.values())  # a page never straddles two folds
    assert len({f for f, page in zip(folds, pages, strict=True) if page}) > 1  # pages spread over folds
    loose = [f for f, page in zip(folds, pages, strict=True) if not page]
    assert sorted(set(loose)) == list(range(VALIDATION_FOLDS))  # dev questions are dealt round-robin


def test_a_question_that_is_an_entrys_own_phrasing_is_answered(matcher):
    model = _model(answer_at=2.0, suggest_at=2.0)
    assert choose(model, 0.0, has_entry=True, known_share=1.0, entry_score=0.5, redirect_score=None, verbatim=1.0) is (
        Choice.ANSWER
    )
    question = "What does PACS stand for?"
    result = matcher.decide(question, matcher.signals(question), matcher.calibration, model=model)
    assert result.decision is Decision.ANSWER
    assert result.best.entry_id == "glossary-pacs"


def test_a_calibration_tuned_from_numpy_scores_saves_as_plain_json(tmp_path):
    """Thresholds picked from candidate scores arrive as numpy scalars; saving must still write JSON."""
    cal = Calibration(answer_at=np.float32(0.9), suggest_at=np.float64(0.7))
    path = tmp_path / "calibration.json"
    CalibrationSet(cal, Calibration()).save(path)
    loaded = CalibrationSet.load(path)
    assert loaded.semantic.answer_at == pytest.approx(0.9)
    assert loaded.semantic.suggest_at == pytest.approx(0.7)
