"""Check that a change to the matcher's code keeps every ranking and decision: dump one tree's results, dump the
other's, compare.

    .venv/bin/python benchmarks/matcher_equivalence.py dump before.json   # run from (a copy of) the old tree
    .venv/bin/python benchmarks/matcher_equivalence.py dump after.json    # run from this tree
    .venv/bin/python benchmarks/matcher_equivalence.py compare before.json after.json

The questions are built from the bundled knowledge base alone (never the evaluation set): every alternate
phrasing, and made-up variants (a word dropped, two words swapped, a typo, halves of two questions joined,
"what does X stand for", off-topic and degenerate text). They are asked of the bundled knowledge base and of
the 1,000-entry synthetic one of ``matcher_bench.py`` (``--sizes``; 10000 exercises the pruned index).

Per question the dump holds the decision, reason, entries offered, redirect, confidence and related entries,
and the ranking (document, unrounded score) with the answerability model's evidence vector. ``compare`` wants
the same decisions and entries, and every number within ``--tolerance`` (1e-6); candidate scores are rounded to
4 decimals by the matcher, so they may differ by one unit in the 4th decimal when the raw scores straddle it.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

OFF_TOPIC = [
    "how do I bake sourdough bread",
    "what's the weather tomorrow in Denver",
    "my printer is out of toner again",
    "can you recommend a good pizza place near the office",
    "who won the game last night",
    "the coffee machine on floor 3 is broken",
    "¿cómo restablezco mi contraseña?",
    "asdf qwer zxcv",
    "??",
    "",
    "   ",
    "the the the",
    "PIV " * 200,
    "what does CAC stand for",
    "what is the acronym FICAM short for",
    "expand PKI",
    "I need help",
    "thanks!",
    "hello",
    "badge card certificate login door reader account office system token",
]


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1 :] if rng.random() < 0.5 else word[:i] + word[i] + word[i:]


def made_up(kb: object, rng: random.Random) -> list[str]:
    """Variants of the knowledge base's questions, glossary questions and off-topic text."""
    entries = kb.entries  # type: ignore[attr-defined]
    out = list(OFF_TOPIC)
    for n, entry in enumerate(entries[::2]):
        words = entry.question.split()
        if len(words) > 3:
            dropped = list(words)
            dropped.pop(rng.randrange(len(dropped)))
            out.append(" ".join(dropped))
            swapped = list(words)
            i = rng.randrange(len(swapped) - 1)
            swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
            out.append(" ".join(swapped))
            out.append(" ".join(_typo(w, rng) if rng.random() < 0.3 else w for w in words))
        other = entries[(n * 7 + 3) % len(entries)].question.split()
        out.append(" ".join(words[: len(words) // 2] + other[len(other) // 2 :]))
    for term in kb.glossary[::2]:  # type: ignore[attr-defined]
        out.append(f"what does {term.term} stand for?")
        out.append(f"what is {term.term}")
    for redirect in kb.redirects:  # type: ignore[attr-defined]
        out.extend(redirect.examples[:1])
    return out


def questions(kb: object, step: int) -> list[str]:
    alternates = [a for e in kb.entries for a in e.alternates]  # type: ignore[attr-defined]
    return alternates[::step] + made_up(kb, random.Random(13))


def dump_one(matcher: object, question: str) -> dict[str, object]:
    result = matcher.match(question)  # type: ignore[attr-defined]
    row: dict[str, object] = {
        "q": question,
        "decision": str(result.decision),
        "reason": result.reason,
        "best": result.best.entry_id if result.best else None,
        "candidates": [[c.entry_id, c.score] for c in result.candidates],
        "redirect": result.redirect.id if result.redirect else None,
        "confidence": result.confidence,
        "related": [c.entry_id for c in result.related],
    }
    evidence = matcher.explain(question)  # type: ignore[attr-defined]
    if evidence is not None:
        row["ranked"] = [[matcher.doc_key(i), s] for i, s in evidence.ranked]  # type: ignore[attr-defined]
        row["features"] = [float(v) for v in evidence.features]
    return row


def dump(path: Path, sizes: list[str], step: int) -> None:
    from icam_bot.knowledge import load_knowledge
    from icam_bot.matching import Matcher
    from icam_bot.matching.embedding import MiniLMEncoder

    kb = load_knowledge()
    cache = REPO / ".cache"
    real = MiniLMEncoder(cache_dir=cache)
    out: dict[str, list[dict[str, object]]] = {}
    for size in sizes:
        start = time.perf_counter()
        if size == "kb":
            matcher, asked = Matcher(kb, encoder=real, cache_dir=cache), questions(kb, 1)
        else:
            import matcher_bench

            grown, sources = matcher_bench.grow(kb, int(size))
            encoder = matcher_bench.SyntheticVectorEncoder(real, sources)
            matcher = Matcher(grown, encoder=encoder, cache_dir=cache / f"bench-{size}")  # type: ignore[arg-type]
            asked = questions(kb, step if int(size) <= 1000 else step * 4)
        out[size] = [dump_one(matcher, q) for q in asked]
        print(f"{size}: {len(asked)} questions in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    path.write_text(json.dumps(out))


def _close(a: object, b: object, tol: float) -> bool:
    if a is None or b is None:
        return a is b
    return abs(float(a) - float(b)) <= tol  # type: ignore[arg-type]


def differences(before: dict[str, object], after: dict[str, object], tol: float) -> list[str]:
    """What differs between two rows for the same question (empty when equivalent)."""
    found = []
    for key in ("decision", "reason", "best", "redirect", "related"):
        if before.get(key) != after.get(key):
            found.append(f"{key}: {before.get(key)!r} -> {after.get(key)!r}")
    cb, ca = before["candidates"], after["candidates"]
    if [c[0] for c in cb] != [c[0] for c in ca]:  # type: ignore[union-attr]
        found.append(f"candidates: {cb} -> {ca}")
    elif any(not _close(x[1], y[1], 1e-4 + tol) for x, y in zip(cb, ca, strict=True)):  # type: ignore[arg-type]
        found.append(f"candidate scores: {cb} -> {ca}")
    if not _close(before["confidence"], after["confidence"], tol):
        found.append(f"confidence: {before['confidence']} -> {after['confidence']}")
    rb, ra = before.get("ranked", []), after.get("ranked", [])
    if [r[0] for r in rb] != [r[0] for r in ra]:  # type: ignore[union-attr]
        found.append(f"ranking: {rb} -> {ra}")
    elif any(not _close(x[1], y[1], tol) for x, y in zip(rb, ra, strict=True)):  # type: ignore[arg-type]
        found.append(f"ranked scores: {rb} -> {ra}")
    fb, fa = before.get("features", []), after.get("features", [])
    if len(fb) != len(fa) or any(not _close(x, y, tol) for x, y in zip(fb, fa, strict=True)):  # type: ignore[arg-type]
        found.append(f"evidence: {fb} -> {fa}")
    return found


def compare(before_path: Path, after_path: Path, tol: float) -> int:
    before, after = json.loads(before_path.read_text()), json.loads(after_path.read_text())
    problems = 0
    for size in before:
        rows_b, rows_a = before[size], after.get(size, [])
        if [r["q"] for r in rows_b] != [r["q"] for r in rows_a]:
            print(f"{size}: the question sets differ")
            problems += 1
            continue
        worst = 0.0
        exact = 0
        for b, a in zip(rows_b, rows_a, strict=True):
            diff = differences(b, a, tol)
            if diff:
                problems += 1
                print(f"{size}: {b['q'][:80]!r}: " + "; ".join(d[:300] for d in diff))
            numbers_b = [x[1] for x in b.get("ranked", [])] + b.get("features", []) + [b["confidence"] or 0.0]
            numbers_a = [x[1] for x in a.get("ranked", [])] + a.get("features", []) + [a["confidence"] or 0.0]
            gaps = [abs(x - y) for x, y in zip(numbers_b, numbers_a, strict=False)]
            worst = max([worst, *gaps])
            exact += not any(gaps)
        decisions: dict[str, int] = {}
        for r in rows_b:
            decisions[r["decision"]] = decisions.get(r["decision"], 0) + 1
        print(
            f"{size}: {len(rows_b)} questions {decisions}; largest numeric difference {worst:.1e}; "
            f"{exact} of {len(rows_b)} bit-for-bit"
        )
    print("EQUIVALENT" if not problems else f"{problems} DIFFERENCES")
    return 1 if problems else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("--sizes", default="kb,1000", help="kb (the bundled knowledge base) and/or synthetic sizes")
    d.add_argument("--step", type=int, default=3, help="ask every STEP-th alternate of the synthetic knowledge bases")
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    c.add_argument("--tolerance", type=float, default=1e-6)
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.out, args.sizes.split(","), args.step)
    else:
        raise SystemExit(compare(args.before, args.after, args.tolerance))


if __name__ == "__main__":
    main()
