"""Matcher speed and memory: p50/p99 per question and peak RSS at 200, 1,000 and 10,000 entries, plus
start-up time to the first answer with the bundled knowledge base.

Run: .venv/bin/python benchmarks/matcher_bench.py [--sizes 200,1000,10000] [--queries 400]

Per question it reports wall time and the asking thread's CPU time (``time.thread_time``): on a shared machine the
wall time includes waiting for a core, the CPU time is what the question costs.

Each size runs in its own process so peak memory is that size's alone. Larger knowledge bases are
grown synthetically from the bundled one: every synthetic entry is a real entry with its phrasings
reworded (words dropped and reordered, a topic word swapped), so the lexical index sees new text.
Encoding 80,000 synthetic phrasings with the embedding model would take over ten minutes, so their
vectors are the source phrasing's vector plus small noise, renormalised; the query-time work (one
embedding of the question, matrix products over every phrasing, BM25, fuzzy re-ranking) is the same.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the icam-bot command sets it

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from icam_bot.answers import Responder  # noqa: E402
from icam_bot.evaluation.dataset import load_dataset  # noqa: E402
from icam_bot.knowledge import load_knowledge  # noqa: E402
from icam_bot.knowledge.model import Entry, KnowledgeBase  # noqa: E402
from icam_bot.matching import Matcher  # noqa: E402
from icam_bot.matching.embedding import MiniLMEncoder, find_model_dir  # noqa: E402

TOPIC_WORDS = ["card", "badge", "certificate", "login", "door", "reader", "account", "office", "system", "token"]


class SyntheticVectorEncoder:
    """Real encoder for texts it has not been told about; noisy copies of a source vector otherwise."""

    dim = 384

    def __init__(self, real: MiniLMEncoder, sources: dict[str, str]) -> None:
        self.real = real
        self.precision = real.precision
        self.sources = sources
        self._rng = np.random.default_rng(7)

    def encode(self, texts: list[str], batch_size: int = 64, *, threads: int = 1, progress=None) -> np.ndarray:
        originals = sorted({self.sources.get(t, t) for t in texts})
        base = dict(zip(originals, self.real.encode(originals, batch_size, threads=threads), strict=True))
        out = np.stack([base[self.sources.get(t, t)] for t in texts]).astype(np.float32)
        synthetic = np.array([t in self.sources for t in texts])
        if synthetic.any():
            out[synthetic] += self._rng.normal(0, 0.02, (int(synthetic.sum()), self.dim)).astype(np.float32)
            out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out

    def encode_one(self, text: str) -> np.ndarray:
        return self.real.encode_one(text)


def reword(text: str, rng: random.Random) -> str:
    words = text.split()
    if len(words) > 3:
        words.pop(rng.randrange(len(words)))
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    words.insert(rng.randrange(len(words) + 1), rng.choice(TOPIC_WORDS))
    return " ".join(words)


def grow(kb: KnowledgeBase, size: int) -> tuple[KnowledgeBase, dict[str, str]]:
    """A knowledge base of exactly ``size`` entries, and synthetic phrasing -> source phrasing."""
    rng = random.Random(size)
    real = kb.entries
    if size <= len(real):
        return replace(kb, entries=real[:size]), {}
    entries: list[Entry] = list(real)
    sources: dict[str, str] = {}
    n = 0
    while len(entries) < size:
        src = real[n % len(real)]
        n += 1
        phrasings = []
        for p in src.phrasings:
            new = reword(p, rng)
            sources.setdefault(new, p)
            phrasings.append(new)
        entries.append(replace(src, id=f"{src.id}-syn{n}", question=phrasings[0], alternates=tuple(phrasings[1:])))
    return replace(kb, entries=entries), sources


def run_size(size: int, n_queries: int) -> dict[str, float]:
    kb = load_knowledge()
    grown, sources = grow(kb, size)
    real = MiniLMEncoder(cache_dir=REPO / ".cache") if find_model_dir() else None
    encoder = SyntheticVectorEncoder(real, sources) if real else None
    t0 = time.perf_counter()
    cache = REPO / ".cache" / f"bench-{size}"
    matcher = Matcher(grown, encoder=encoder, use_embeddings=bool(real), cache_dir=cache)  # type: ignore[arg-type]
    build = time.perf_counter() - t0
    responder = Responder(grown, matcher)
    questions = [i.question for i in load_dataset()][:n_queries]
    for q in questions[:20]:
        responder.ask(q)
    times, cpu = [], []
    for q in questions:
        start, start_cpu = time.perf_counter(), time.thread_time()
        responder.ask(q)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
    times.sort()
    cpu.sort()
    return {
        "entries": len(grown.entries),
        "mode": matcher.mode,
        "queries": len(times),
        "p50_ms": statistics.median(times),
        "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))],
        "max_ms": times[-1],
        # CPU time of the asking thread: what the question costs, without the waits of a busy machine
        "cpu_p50_ms": statistics.median(cpu),
        "cpu_p99_ms": cpu[min(len(cpu) - 1, int(len(cpu) * 0.99))],
        "load": os.getloadavg()[0],
        "index_build_s": build,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def startup_to_first_answer() -> dict[str, float]:
    """Wall time of a fresh ``icam-bot ask`` process (warm vector cache), and with the cache emptied."""
    env = {**os.environ, "ICAM_CACHE_DIR": str(REPO / ".cache" / "bench")}
    cmd = [sys.executable, "-m", "icam_bot.cli.main", "ask", "--json", "I forgot my PIV PIN"]
    results = {}
    cache = Path(env["ICAM_CACHE_DIR"])
    for f in cache.glob("*.npz"):
        f.unlink()
    for label in ("cold_cache_s", "warm_cache_s", "warm_cache_again_s"):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=REPO, check=True, capture_output=True)
        results[label] = time.perf_counter() - start
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,1000,10000")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_size(args.one, args.queries)))
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        proc = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--queries", str(args.queries)],
            check=True,
            capture_output=True,
            text=True,
        )
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    heads = ("entries", "mode", "queries", "p50 ms", "p99 ms", "max ms", "CPU p50", "CPU p99", "build s")
    print(" ".join(f"{h:>8}" for h in heads) + f" {'peak RSS MB':>12} {'load':>5}")
    for r in rows:
        print(
            f"{r['entries']:>8} {r['mode']:>9} {r['queries']:>8} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
            f"{r['max_ms']:>8.2f} {r['cpu_p50_ms']:>8.2f} {r['cpu_p99_ms']:>8.2f} {r['index_build_s']:>8.2f} "
            f"{r['peak_rss_mb']:>12.0f} {r['load']:>5.1f}"
        )
    startup = startup_to_first_answer()
    print(
        "start-up to first answer (fresh process, bundled KB): " + ", ".join(f"{k} {v:.2f}" for k, v in startup.items())
    )


if __name__ == "__main__":
    main()
