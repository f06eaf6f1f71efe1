"""``icam-bot eval``: quality figures for the matcher and naive baselines on the labelled sets.

Success (in-scope questions answered outright with the right entry) comes first; answered precision, the
"did you mean" hit rate, off-topic handling and redirect accuracy follow, then the ranking diagnostics.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from icam_bot.cli.common import CommandError, settings_or_exit
from icam_bot.evaluation.answerability import holdout_traces, item_traces, tune_decision
from icam_bot.evaluation.dataset import DatasetError, check_against_kb, load_dataset
from icam_bot.evaluation.runner import (
    MethodReport,
    SignalCache,
    run_baselines,
    run_matcher,
    tune,
    tune_thresholds,
)
from icam_bot.knowledge import KnowledgeError, load_knowledge
from icam_bot.matching import Matcher
from icam_bot.matching.calibration import CALIBRATION_FILE, CalibrationSet
from icam_bot.matching.decision import DECISION_FILE, DecisionModels

COLUMNS = (
    "success",
    "answered_precision",
    "suggest_hit_rate",
    "oos_handled",
    "redirect_accuracy",
    "top1",
    "mrr5",
)
HEADERS = ("success", "ans.prec", "sugg.hit", "OOS hndl", "redirect", "top-1", "MRR@5")
LEGEND = (
    "success: in-scope questions answered outright with the right entry (gaps count against it); ans.prec: "
    "answers given (in and out of scope) that were right; sugg.hit: 'did you mean' replies that offered the "
    "right entry; OOS hndl: off-topic questions declined or redirected; redirect: off-topic questions with a "
    "fitting redirect that got it; top-1 / MRR@5: ranking diagnostics."
)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("eval", help="measure answer quality on the labelled evaluation sets")
    parser.add_argument("--set", dest="dataset", type=Path, help="evaluation directory (default: evaluation/)")
    parser.add_argument(
        "--tune",
        action="store_true",
        help="on the validation splits: choose ranking weights, then train the answerability model",
    )
    parser.add_argument(
        "--thresholds-only",
        action="store_true",
        help="with --tune: keep the ranking weights; retrain only the answerability model and fallback thresholds",
    )
    parser.add_argument("--no-baselines", action="store_true", help="skip the naive baselines")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.set_defaults(func=run)


def _table(reports: list[MethodReport]) -> str:
    lines = [f"{'set':20} {'method':28} {'split':10} " + " ".join(f"{h:>9}" for h in HEADERS)]
    for report in reports:
        for split in ("validation", "test"):
            r = getattr(report, split)
            if not r.in_scope + r.out_of_scope:
                continue
            values = []
            for column in COLUMNS:
                shown = {
                    "oos_handled": r.out_of_scope,
                    "redirect_accuracy": r.redirect_labelled,
                    "suggest_hit_rate": r.suggested,
                }.get(column, r.in_scope)
                values.append(f"{getattr(r, column) * 100:8.1f}%" if shown else f"{'-':>9}")
            lines.append(f"{report.group:20} {report.name:28} {split:10} " + " ".join(values))
    return "\n".join(lines)


def _tune(matcher: Matcher, kb, items, cache: SignalCache, thresholds_only: bool) -> None:
    validation = [i for i in items if i.split == "validation"]
    calibrations = matcher.calibrations
    lexical = Matcher(kb, use_embeddings=False, cache_dir=None, decision=DecisionModels())
    lexical_cache = SignalCache(lexical)
    if thresholds_only:
        lexical_cal = tune_thresholds(lexical, validation, lexical_cache, calibrations.lexical)
        semantic_cal = (
            tune_thresholds(matcher, validation, cache, calibrations.semantic)
            if matcher.encoder
            else calibrations.semantic
        )
    else:
        lexical_cal = tune(lexical, validation, lexical_cache, semantic=False)
        semantic_cal = tune(matcher, validation, cache, semantic=True) if matcher.encoder else calibrations.semantic
    calibrations = CalibrationSet(semantic_cal, lexical_cal)
    calibrations.save()
    print(f"calibration written to {CALIBRATION_FILE}", file=sys.stderr)
    matcher.calibrations = calibrations
    matcher.calibration = semantic_cal if matcher.encoder else lexical_cal
    lexical.calibrations, lexical.calibration = calibrations, lexical_cal
    models = {}
    for mode, m in (("semantic", matcher if matcher.encoder else None), ("lexical", lexical)):
        if m is None:
            models[mode] = matcher.decision_models.for_mode(mode)
            continue
        print(f"training the {mode} answerability model (held-out phrasings, validation splits)", file=sys.stderr)
        tuned = tune_decision(
            holdout_traces(m, cache_dir=None if m is lexical else matcher.cache_dir), item_traces(m, validation)
        )
        models[mode] = tuned.model
        print(f"{mode}: {tuned.choice}, validation weight share {tuned.share:g}", file=sys.stderr)
    decision = DecisionModels(models["semantic"], models["lexical"])
    decision.save()
    print(f"answerability model written to {DECISION_FILE}", file=sys.stderr)
    matcher.decision_models = decision
    matcher.decision_model = decision.for_mode(matcher.mode)


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    logging.getLogger("icam_bot.evaluation").setLevel(logging.INFO)
    try:
        kb = load_knowledge(settings.knowledge_dir, settings.site_file)
        items = load_dataset(args.dataset)
    except (KnowledgeError, DatasetError) as exc:
        raise CommandError(str(exc)) from exc
    problems = check_against_kb(items, kb)
    if problems:
        raise CommandError("evaluation set does not fit the knowledge base:\n  " + "\n  ".join(problems[:30]))
    matcher = Matcher(kb, use_embeddings=settings.use_embeddings, cache_dir=settings.cache_dir)
    cache = SignalCache(matcher)
    if args.tune:
        _tune(matcher, kb, items, cache, args.thresholds_only)
    reports = run_matcher(matcher, items, matcher.calibration, cache)
    if not args.no_baselines:
        reports += run_baselines(matcher, items)
    counts = {}
    for item in items:
        entry = counts.setdefault(item.set, {"validation": 0, "test": 0, "in_scope": 0, "gaps": 0})
        entry[item.split] += 1
        entry["in_scope"] += item.in_scope
        entry["gaps"] += item.gap
    if args.json:
        json.dump(
            {
                "entries": len(kb.entries),
                "sets": counts,
                "calibration": matcher.calibration.to_json(),
                "answerability": matcher.decision_model.to_json() if matcher.decision_model else None,
                "methods": [
                    {"name": r.name, "set": r.group, "validation": r.validation.as_dict(), "test": r.test.as_dict()}
                    for r in reports
                ],
            },
            sys.stdout,
            indent=1,
        )
        sys.stdout.write("\n")
        return 0
    sets = "; ".join(
        f"{name} {c['validation']} validation / {c['test']} test ({c['in_scope']} in scope, {c['gaps']} gaps)"
        for name, c in counts.items()
    )
    print(f"knowledge base: {len(kb.entries)} entries; evaluation sets: {sets}")
    print(_table(reports))
    print(LEGEND)
    return 0
