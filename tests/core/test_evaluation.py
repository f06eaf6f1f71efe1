"""The labelled evaluation set is trustworthy, and the metrics compute what they claim."""

from __future__ import annotations

import pytest

from icam_bot.evaluation.dataset import check_against_kb, load_dataset
from icam_bot.evaluation.metrics import Outcome, score


@pytest.fixture(scope="module")
def items():
    return load_dataset()


def test_dataset_fits_kb_and_is_not_copied_from_it(items, kb):
    assert check_against_kb(items, kb) == []


def test_dataset_size_and_split(items, kb):
    inside = [i for i in items if i.expected is not None]
    outside = [i for i in items if i.expected is None]
    assert len(inside) >= 150
    assert len(outside) >= 60
    assert {i.split for i in inside} == {"validation", "test"} == {i.split for i in outside}
    tested = {i.expected for i in inside if i.split == "test"}
    faq = {e.id for e in kb.entries if e.category != "glossary"}
    assert faq <= tested, f"entries without a test question: {sorted(faq - tested)[:10]}"


def test_splits_do_not_share_questions(items):
    val = {i.question.lower() for i in items if i.split == "validation"}
    test = {i.question.lower() for i in items if i.split == "test"}
    assert not val & test


def test_metrics():
    outcomes = [
        Outcome("a", ("a", "b"), "answer", "a"),
        Outcome("b", ("a", "b"), "answer", "a"),
        Outcome("c", ("x", "y", "c"), "suggest", None),
        Outcome(None, ("a",), "abstain", None),
        Outcome(None, ("a",), "answer", "a"),
    ]
    report = score(outcomes)
    assert report.top1 == pytest.approx(1 / 3)
    assert report.mrr5 == pytest.approx((1 + 0.5 + 1 / 3) / 3)
    assert report.answered_precision == pytest.approx(1 / 3)
    assert report.answer_rate == pytest.approx(2 / 3)
    assert report.oos_abstain == pytest.approx(0.5)
    assert report.suggest_hit_rate == pytest.approx(1.0)
