"""Would a retrained answerability model answer more questions at the shipped model's precision?

    .venv/bin/python benchmarks/answerability_study.py [--shares 0.5,1,2] [--traces traces.pkl]

``icam-bot eval --tune`` chooses thresholds at fixed precision floors (96 % over all sets), far above what the
shipped model reaches on the real-world set, so a re-tune trades success for precision and the two models
cannot be compared on one scale. This study holds precision still instead: for every model form the tuner
tries (logistic regression at three strengths, boosted trees of two sizes) and every validation weight, it

1. computes out-of-fold probabilities on the validation splits (folds by source page, as the tuner does),
2. chooses the answer threshold with the most validation success whose answered precision is at least the
   shipped model's, over all sets and in each set (the redirect and "did you mean" settings stay the shipped
   ones),
3. refits on everything and reports validation (out of fold) and test figures beside the shipped model's.

The shipped model saw part of today's validation split when it was trained, so its validation figures are a
little optimistic; the test figures are the fair comparison. Nothing is written: the shipped model stays.
Traces (each question's ranking and evidence) take about 80 s to compute; ``--traces FILE`` keeps them
between runs (a pickle this script wrote itself; never load one from elsewhere).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import pickle
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from icam_bot.config import Settings  # noqa: E402
from icam_bot.evaluation import answerability as tuning  # noqa: E402
from icam_bot.evaluation.dataset import load_dataset  # noqa: E402
from icam_bot.evaluation.metrics import Outcome, Report, score  # noqa: E402
from icam_bot.knowledge import load_knowledge  # noqa: E402
from icam_bot.matching import Matcher  # noqa: E402
from icam_bot.matching.decision import DecisionModel  # noqa: E402

Trace = tuning.Trace


def traces(path: Path | None) -> tuple[list[Trace], list[Trace], list[Trace], DecisionModel]:
    """Held-out KB phrasings, validation and test traces, and the shipped model (from ``path`` when it exists)."""
    if path is not None and path.is_file():
        with path.open("rb") as f:
            return pickle.load(f)  # a file this script wrote
    settings = Settings.from_env()
    kb = load_knowledge(settings.knowledge_dir, settings.site_file)
    items = load_dataset(None)
    matcher = Matcher(kb, use_embeddings=True, cache_dir=settings.cache_dir)
    if matcher.decision_model is None:
        raise SystemExit("no semantic answerability model: install the embedding model (make install)")
    val = tuning.item_traces(matcher, [i for i in items if i.split == "validation"])
    test = tuning.item_traces(matcher, [i for i in items if i.split == "test"])
    held = tuning.holdout_traces(matcher, cache_dir=matcher.cache_dir)
    result = (held, val, test, matcher.decision_model)
    if path is not None:
        with path.open("wb") as f:
            pickle.dump(result, f)
    return result


def probabilities(model: DecisionModel, rows: Sequence[Trace]) -> np.ndarray:
    probs = np.zeros(len(rows))
    usable = [i for i, t in enumerate(rows) if len(t.features)]
    if usable:
        probs[usable] = model.probabilities(np.vstack([rows[i].features for i in usable]))
    return probs


def reports(rows: Sequence[Trace], model: DecisionModel, probs: np.ndarray) -> dict[str, Report]:
    """Figures per evaluation set, and over all of them (``all``)."""
    by_set: dict[str, list[Outcome]] = {}
    for t, p in zip(rows, probs, strict=True):
        by_set.setdefault(t.origin, []).append(tuning.outcome(t, model, float(p)))
    result = {name: score(outcomes) for name, outcomes in sorted(by_set.items())}
    result["all"] = score([o for outcomes in by_set.values() for o in outcomes])
    return result


def line(label: str, figures: dict[str, Report]) -> str:
    parts = [
        f"{name} {100 * r.success:5.1f} / {100 * r.answered_precision:5.1f} / dym {r.suggested}"
        for name, r in figures.items()
    ]
    return f"{label:34} " + " | ".join(parts)


def matched_threshold(
    rows: Sequence[Trace], model: DecisionModel, probs: np.ndarray, floors: dict[str, float]
) -> float | None:
    """The answer threshold with the most success whose precision reaches ``floors`` (per set and ``all``)."""
    best: tuple[float, float] | None = None
    for level in sorted({round(float(p), 3) for p in probs}):
        trial = replace(model, answer_at=level, suggest_at=min(model.suggest_at, level))
        figures = reports(rows, trial, probs)
        reached = all(figures[name].answered_precision >= floor for name, floor in floors.items())
        if reached and (best is None or figures["all"].success > best[0]):
            best = (figures["all"].success, level)
    return None if best is None else best[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shares", default="0.5,1,2", help="validation weight shares to try")
    parser.add_argument("--traces", type=Path, help="keep the computed traces in this file")
    args = parser.parse_args()
    held, val, test, shipped = traces(args.traces)
    shipped_val = reports(val, shipped, probabilities(shipped, val))
    print("success / answered precision / 'did you mean' offers, per set (validation out of fold)")
    print(line("shipped, validation", shipped_val))
    print(line("shipped, test", reports(test, shipped, probabilities(shipped, test))))
    floors = {name: r.answered_precision for name, r in shipped_val.items()}
    usable = [t for t in val if len(t.features)]
    for share in (float(s) for s in args.shares.split(",")):
        for choice in tuning.MODEL_CHOICES:
            probs = tuning.out_of_fold(held, val, share, choice)
            refit = replace(
                tuning.fit_model(held + usable, share, choice),
                suggest_at=shipped.suggest_at,
                related_at=shipped.related_at,
                redirect_within=shipped.redirect_within,
                redirect_floor=shipped.redirect_floor,
            )
            level = matched_threshold(val, refit, probs, floors)
            if level is None:
                print(f"share {share:g}, {choice}: no threshold reaches the shipped precision")
                continue
            model = replace(refit, answer_at=level, suggest_at=min(shipped.suggest_at, level))
            print(line(f"share {share:g}, {choice} @{level:.3f}", reports(val, model, probs)))
            print(line("  test", reports(test, model, probabilities(model, test))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
