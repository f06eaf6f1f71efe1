"""``icam-bot kb``: check and export the knowledge base (and list unanswered questions)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from icam_bot.cli.common import settings_or_exit
from icam_bot.knowledge import KnowledgeError, load_knowledge
from icam_bot.knowledge.checks import run_checks
from icam_bot.knowledge.model import KnowledgeBase


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("kb", help="check, export or curate the knowledge base")
    kb_sub = parser.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)
    check = kb_sub.add_parser("check", help="validate the knowledge base and report problems")
    check.add_argument("--dir", type=Path, help="knowledge directory (default: ICAM_KNOWLEDGE_DIR or bundled)")
    check.add_argument("--site", type=Path, help="site values file (default: ICAM_SITE_FILE or <dir>/site.yaml)")
    check.add_argument("--max-age-days", type=int, help="flag entries reviewed longer ago than this")
    check.add_argument("--today", type=dt.date.fromisoformat, help=argparse.SUPPRESS)
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument(
        "--live",
        action="store_true",
        help="also check the knowledge taught from Slack (DATABASE_URL), with the same rules as the files",
    )
    check.set_defaults(func=run_check)
    export = kb_sub.add_parser("export", help="print every entry")
    export.add_argument("--json", action="store_true", required=True, help='print {"entries": [...]} as JSON')
    export.add_argument("--dir", type=Path)
    export.add_argument("--site", type=Path)
    export.set_defaults(func=run_export)
    overlaps = kb_sub.add_parser(
        "overlaps", help="phrasings closer (by meaning) to another entry than to their own: reword or remove them"
    )
    overlaps.add_argument("--dir", type=Path)
    overlaps.add_argument("--site", type=Path)
    overlaps.add_argument("--category", action="append", default=[], help="only this category (repeatable)")
    overlaps.add_argument(
        "--margin", type=float, default=0.05, help="how much closer the other entry must be (default 0.05)"
    )
    overlaps.add_argument("--json", action="store_true", help="one JSON object per overlap")
    overlaps.set_defaults(func=run_overlaps)
    try:
        from icam_bot.cli.gaps import register_gaps
    except ModuleNotFoundError as exc:
        if exc.name != "icam_bot.cli.gaps":
            raise
    else:
        register_gaps(kb_sub)
        from icam_bot.cli.pull import register_pull

        register_pull(kb_sub)


def _paths(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    settings = settings_or_exit()
    return args.dir or settings.knowledge_dir, args.site or settings.site_file


def run_check(args: argparse.Namespace) -> int:
    directory, site = _paths(args)
    try:
        kb = load_knowledge(directory, site)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(f"ERROR   {problem}")
        print(f"\nknowledge base invalid: {len(exc.problems)} error(s)")
        return 1
    if args.max_age_days is not None and args.max_age_days < 1:
        print("--max-age-days must be at least 1", file=sys.stderr)
        return 2
    live_problems: list[str] = []
    if args.live:
        from icam_bot.cli.pull import merged_with_live

        merged = merged_with_live(kb)
        kb = merged.kb
        live_problems = [str(p) for p in merged.problems]
        for problem in live_problems:
            print(f"ERROR   {problem}")
    findings = run_checks(kb, args.today, args.max_age_days)
    for finding in findings:
        print(finding)
    errors = sum(f.level == "error" for f in findings) + len(live_problems)
    warnings = sum(f.level == "warning" for f in findings)
    faq = [e for e in kb.entries if e.category != "glossary"]
    print(
        f"\n{len(faq)} entries in {len(kb.categories)} categories, {len(kb.glossary)} glossary terms, "
        f"{len(kb.redirects)} redirects: {errors} error(s), {warnings} warning(s)"
    )
    return 1 if errors or (args.strict and warnings) else 0


def _load_or_report(args: argparse.Namespace) -> KnowledgeBase | None:
    """The knowledge base ``--dir``/``--site`` name, or None after printing why it does not load."""
    try:
        return load_knowledge(*_paths(args))
    except KnowledgeError as exc:
        print(str(exc), file=sys.stderr)
        return None


def run_export(args: argparse.Namespace) -> int:
    kb = _load_or_report(args)
    if kb is None:
        return 1
    json.dump({"entries": [e.as_dict() for e in kb.entries]}, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


def run_overlaps(args: argparse.Namespace) -> int:
    """Print overlapping phrasings (a report: exit 0 whatever it finds; 1 on an invalid KB or no model)."""
    from icam_bot.matching.embedding import EmbeddingUnavailableError, MiniLMEncoder
    from icam_bot.matching.overlaps import find_overlaps

    settings = settings_or_exit()
    kb = _load_or_report(args)
    if kb is None:
        return 1
    if not 0.0 <= args.margin <= 1.0:
        print("--margin must be between 0 and 1", file=sys.stderr)
        return 2
    unknown = sorted(set(args.category) - {c.slug for c in kb.categories})
    if unknown:
        print(f"unknown category: {', '.join(unknown)}", file=sys.stderr)
        return 2
    try:
        encoder = MiniLMEncoder(cache_dir=settings.cache_dir)
    except EmbeddingUnavailableError as exc:
        print(f"kb overlaps needs the embedding model: {exc}", file=sys.stderr)
        return 1
    found = find_overlaps(kb, encoder, cache_dir=settings.cache_dir, margin=args.margin, categories=args.category)
    for o in found:
        if args.json:
            print(json.dumps(o.__dict__, ensure_ascii=False))
        else:
            print(f"{o.entry_id}: {o.phrasing!r}")
            print(f"    own best {o.own:.2f} < {o.other:.2f} {o.other_entry_id}: {o.other_phrasing!r}")
    print(f"{len(found)} phrasing(s) closer to another entry by more than {args.margin:g}", file=sys.stderr)
    return 0
