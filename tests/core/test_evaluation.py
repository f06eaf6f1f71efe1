"""The labelled evaluation set is trustworthy, and the metrics compute what they claim."""

from __future__ import annotations

import pytest

from icam_bot.evaluation.dataset import DatasetError, check_against_kb, load_dataset
from icam_bot.evaluation.metrics import Outcome, score


@pytest.fixture(scope="module")
def items():
    return load_dataset()


def test_dataset_fits_kb_and_is_not_copied_from_it(items, kb):
    assert check_against_kb(items, kb) == []


def test_dataset_size_and_split(items, kb):
    inside = [i for i in items if i.expected is not None and i.set == "dev"]
    outside = [i for i in items if i.expected is None and i.set == "dev"]
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


def test_real_world_set_is_sourced_sized_and_split_by_page(items):
    real = [i for i in items if i.set == "real-world"]
    inside = [i for i in real if i.in_scope]
    off_topic = [i for i in real if not i.in_scope]
    assert len(inside) >= 200
    assert len({i.url for i in inside}) >= 25
    assert len(off_topic) >= 60
    assert all(i.url.startswith(("https://", "http://")) for i in real)
    assert {i.split for i in inside} == {"validation", "test"} == {i.split for i in off_topic}
    # a page's questions all sit in one split, so validation never sees the test pages' wording
    splits: dict[str, set[str]] = {}
    for item in real:
        splits.setdefault(item.url, set()).add(item.split)
    assert all(len(s) == 1 for s in splits.values()), [u for u, s in splits.items() if len(s) > 1][:5]
    assert any(i.style == "forum" for i in inside)
    assert all(i.redirect is not None for i in off_topic)


def test_near_copies_of_kb_phrasings_are_caught(kb):
    from icam_bot.evaluation.dataset import Item

    entry = next(e for e in kb.entries if e.category != "glossary")
    phrasing = entry.alternates[0]
    copied = [
        Item(phrasing, entry.id, "test", "x.yaml"),
        Item(phrasing.upper() + "??", entry.id, "test", "x.yaml"),
        Item(phrasing[:-1] if len(phrasing) > 30 else phrasing + "s", entry.id, "test", "x.yaml"),
    ]
    assert len(check_against_kb(copied, kb)) == 3
    assert check_against_kb([Item("unrelated words about parking permits", None, "test", "x.yaml")], kb) == []


def test_metrics_success_and_off_topic():
    outcomes = [
        Outcome("a", ("a", "b"), "answer", "a"),
        Outcome("gap", ("a",), "abstain", None),
        Outcome("c", ("c",), "suggest", None),
        Outcome(None, ("a",), "abstain", None, "hr-benefits", "hr-benefits"),
        Outcome(None, ("a",), "abstain", None, "travel", "hr-benefits"),
        Outcome(None, ("a",), "suggest", None, None, "none"),
        Outcome(None, ("a",), "abstain", None, None, None),
    ]
    report = score(outcomes)
    assert report.success == pytest.approx(1 / 3)
    assert report.gaps == 1
    assert report.oos_handled == pytest.approx(3 / 4)
    assert report.redirect_labelled == 2
    assert report.redirect_accuracy == pytest.approx(1 / 2)
    assert report.answered_precision == 1.0


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


def test_metrics_accept_the_other_entries_that_answer():
    outcomes = [
        Outcome("a", ("b", "a"), "answer", "b", also=("b",)),
        Outcome("c", ("d", "x", "y"), "suggest", None, also=("d",)),
        Outcome("e", ("f", "e"), "answer", "f"),
    ]
    report = score(outcomes)
    assert report.success == pytest.approx(1 / 3)
    assert report.top1 == pytest.approx(2 / 3)
    assert report.answered_precision == pytest.approx(1 / 2)
    assert report.suggest_hit_rate == 1.0


def test_also_labels_are_read_and_checked(tmp_path, kb):
    (tmp_path / "items").mkdir()
    first, second = (e.id for e in kb.entries[:2])
    (tmp_path / "items" / "x.yaml").write_text(
        f"- q: a question nobody wrote in the knowledge base about zebras\n  id: {first}\n"
        f"  also: [{second}]\n  split: test\n"
        f"- q: another question about zebras and giraffes\n  id: {first}\n  also: [no-such-entry]\n  split: test\n"
    )
    items = load_dataset(tmp_path)
    assert items[0].accepted == {first, second}
    assert check_against_kb(items, kb) == [
        "x.yaml: 'another question about zebras and giraffes' is labelled with unknown entry 'no-such-entry'"
    ]
    (tmp_path / "items" / "x.yaml").write_text("- q: zebras\n  id: gap\n  also: [x]\n  split: test\n")
    with pytest.raises(DatasetError, match="also"):
        load_dataset(tmp_path)
