"""Quality figures: top-1, MRR@5, answered precision, answer rate and out-of-scope abstain rate."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """What a method did with one labelled question."""

    expected: str | None
    ranked: tuple[str, ...]  # entry ids, best first (at least 5 where available)
    decision: str  # answer | suggest | abstain
    answered_id: str | None


@dataclass(frozen=True)
class Report:
    """Figures over one split."""

    in_scope: int
    out_of_scope: int
    top1: float
    mrr5: float
    answered_precision: float
    answer_rate: float
    suggest_hit_rate: float
    oos_abstain: float
    answered: int

    def as_dict(self) -> dict[str, float | int]:
        return self.__dict__.copy()


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def score(outcomes: list[Outcome]) -> Report:
    """Aggregate outcomes into a report."""
    inside = [o for o in outcomes if o.expected is not None]
    outside = [o for o in outcomes if o.expected is None]
    top1 = sum(bool(o.ranked) and o.ranked[0] == o.expected for o in inside)
    mrr = 0.0
    for o in inside:
        for rank, entry_id in enumerate(o.ranked[:5], 1):
            if entry_id == o.expected:
                mrr += 1.0 / rank
                break
    answers = [o for o in outcomes if o.decision == "answer"]
    correct = sum(o.answered_id == o.expected for o in answers)
    suggested = [o for o in inside if o.decision == "suggest"]
    suggest_hit = sum(o.expected in o.ranked[:3] for o in suggested)
    return Report(
        in_scope=len(inside),
        out_of_scope=len(outside),
        top1=_ratio(top1, len(inside)),
        mrr5=_ratio(mrr, len(inside)),
        answered_precision=_ratio(correct, len(answers)),
        answer_rate=_ratio(sum(o.decision == "answer" for o in inside), len(inside)),
        suggest_hit_rate=_ratio(suggest_hit, len(suggested)),
        oos_abstain=_ratio(sum(o.decision == "abstain" for o in outside), len(outside)),
        answered=len(answers),
    )
