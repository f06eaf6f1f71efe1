"""``icam-bot eval``: quality figures for the matcher and naive baselines on the labelled set."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from icam_bot.cli.common import CommandError, settings_or_exit
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

COLUMNS = ("top1", "mrr5", "answered_precision", "answer_rate", "suggest_hit_rate", "oos_abstain")
HEADERS = ("top-1", "MRR@5", "ans.prec", "ans.rate", "sugg.hit", "OOS abst.")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("eval", help="measure answer quality on the labelled evaluation set")
    parser.add_argument("--set", dest="dataset", type=Path, help="evaluation directory (default: evaluation/)")
    parser.add_argument("--tune", action="store_true", help="choose weights and thresholds on the validation split")
    parser.add_argument(
        "--thresholds-only", action="store_true", help="with --tune: keep the weights, choose only the thresholds"
    )
    parser.add_argument("--no-baselines", action="store_true", help="skip the naive baselines")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.set_defaults(func=run)


def _table(reports: list[MethodReport]) -> str:
    lines = [f"{'method':32} {'split':10} " + " ".join(f"{h:>9}" for h in HEADERS)]
    for report in reports:
        for split in ("validation", "test"):
            r = getattr(report, split)
            values = " ".join(f"{getattr(r, c) * 100:8.1f}%" for c in COLUMNS)
            lines.append(f"{report.name:32} {split:10} {values}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
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
    calibrations = matcher.calibrations
    if args.tune:
        validation = [i for i in items if i.split == "validation"]
        lexical = Matcher(kb, use_embeddings=False, cache_dir=None)
        if args.thresholds_only:
            lexical_cal = tune_thresholds(lexical, validation, SignalCache(lexical), calibrations.lexical)
            semantic_cal = (
                tune_thresholds(matcher, validation, cache, calibrations.semantic)
                if matcher.encoder
                else calibrations.semantic
            )
        else:
            lexical_cal = tune(lexical, validation, SignalCache(lexical), semantic=False)
            semantic_cal = tune(matcher, validation, cache, semantic=True) if matcher.encoder else calibrations.semantic
        calibrations = CalibrationSet(semantic_cal, lexical_cal)
        calibrations.save()
        print(f"calibration written to {CALIBRATION_FILE}", file=sys.stderr)
        matcher.calibrations = calibrations
        matcher.calibration = semantic_cal if matcher.encoder else lexical_cal
    reports = [run_matcher(matcher, items, matcher.calibration, cache)]
    if not args.no_baselines:
        reports += run_baselines(matcher, items)
    n_val = sum(i.split == "validation" for i in items)
    n_test = len(items) - n_val
    in_scope_test = sum(i.split == "test" and i.expected is not None for i in items)
    if args.json:
        json.dump(
            {
                "entries": len(kb.entries),
                "items": {"validation": n_val, "test": n_test},
                "calibration": matcher.calibration.to_json(),
                "methods": [
                    {"name": r.name, "validation": r.validation.as_dict(), "test": r.test.as_dict()} for r in reports
                ],
            },
            sys.stdout,
            indent=1,
        )
        sys.stdout.write("\n")
        return 0
    print(
        f"knowledge base: {len(kb.entries)} entries; evaluation: {n_val} validation / {n_test} test questions "
        f"({in_scope_test} in scope, {n_test - in_scope_test} out of scope in test)"
    )
    print(_table(reports))
    print(
        "ans.prec: share of answers given (in and out of scope) that were right; ans.rate: share of in-scope "
        "questions answered outright; sugg.hit: share of 'did you mean' replies that offered the right entry."
    )
    return 0
