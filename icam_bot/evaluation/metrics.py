"""Quality figures. The headline is *success*: the share of in-scope questions answered outright and right.

Beside it: answered precision (share of answers given, in and out of scope, that were right), the "did you
mean" hit rate, off-topic handled (declined or sent to a redirect: neither answered nor offered ICAM entries),
redirect accuracy (off-topic questions that have a fitting redirect and got that one), and the ranking
diagnostics top-1 and MRR@5.
"""

from __future__ import annotations

from dataclasses import dataclass

from icam_bot.evaluation.dataset import GAP, NO_REDIRECT


@dataclass(frozen=True)
class Outcome:
    """What a method did with one labelled question."""

    expected: str | None
    ranked: tuple[str, ...]  # entry ids, best first (at least 5 where available)
    decision: str  # answer | suggest | abstain
    answered_id: str | None
    redirect: str | None = None  # the redirect given, if any
    expected_redirect: str | None = None  # for off-topic questions: the fitting redirect, "none", or unlabelled
    also: tuple[str, ...] = ()  # other entries that answer the question as well

    def right(self, entry_id: str | None) -> bool:
        """Whether ``entry_id`` answers this question."""
        return (
            entry_id is not None
            and self.expected not in (None, GAP)
            and (entry_id == self.expected or entry_id in self.also)
        )


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
    success: float = 0.0
    oos_handled: float = 0.0
    redirect_accuracy: float = 0.0
    redirect_labelled: int = 0
    gaps: int = 0
    suggested: int = 0

    def as_dict(self) -> dict[str, float | int]:
        return self.__dict__.copy()


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def _handled(o: Outcome) -> bool:
    """An off-topic question is handled when declined or sent elsewhere (not answered, not "did you mean")."""
    return o.decision == "abstain"


def score(outcomes: list[Outcome]) -> Report:
    """Aggregate outcomes into a report."""
    inside = [o for o in outcomes if o.expected is not None]
    outside = [o for o in outcomes if o.expected is None]
    top1 = sum(bool(o.ranked) and o.right(o.ranked[0]) for o in inside)
    mrr = 0.0
    for o in inside:
        for rank, entry_id in enumerate(o.ranked[:5], 1):
            if o.right(entry_id):
                mrr += 1.0 / rank
                break
    answers = [o for o in outcomes if o.decision == "answer"]
    correct = sum(o.right(o.answered_id) for o in answers)
    suggested = [o for o in inside if o.decision == "suggest"]
    suggest_hit = sum(any(o.right(e) for e in o.ranked[:3]) for o in suggested)
    labelled = [o for o in outside if o.expected_redirect not in (None, NO_REDIRECT)]
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
        success=_ratio(sum(o.decision == "answer" and o.right(o.answered_id) for o in inside), len(inside)),
        oos_handled=_ratio(sum(_handled(o) for o in outside), len(outside)),
        redirect_accuracy=_ratio(sum(o.redirect == o.expected_redirect for o in labelled), len(labelled)),
        redirect_labelled=len(labelled),
        gaps=sum(o.expected == GAP for o in inside),
        suggested=len(suggested),
    )
