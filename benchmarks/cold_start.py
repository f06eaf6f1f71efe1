"""Cold start: seconds from process start to the first answer, in fresh processes, without and with a prebuilt cache.

Each run starts ``icam-bot ask --json`` as a new process with an empty ICAM_CACHE_DIR (a new container) and
times until its answer line arrives:

* ``no cache``: nothing prebuilt, so the run builds everything (ONNX graph, knowledge base cache, lexical index,
  and the vectors of every phrasing and answer, encoded on every available core);
* ``prebuilt``: ICAM_PREBUILT_CACHE_DIR names a directory built once by ``icam-bot cache build`` (what the
  container image ships), read-only; the run reads it and writes nothing.

Runs alternate between the two, so a change in the machine's load spreads over both. ``--encode`` also times
encoding the bundled knowledge base's texts in this process on 1 thread and on every available core (the lever
behind the ``no cache`` figure) and checks that both give the same vectors.

    .venv/bin/python benchmarks/cold_start.py [--runs 3] [--encode]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUESTION = "I forgot my PIV PIN"
CACHE_ENV = ("ICAM_CACHE_DIR", "ICAM_PREBUILT_CACHE_DIR", "ICAM_KNOWLEDGE_DIR", "ICAM_SITE_FILE")


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CACHE_ENV}
    return {**env, "ICAM_EMBEDDINGS": "on", **values}


def first_answer(env: dict[str, str]) -> float:
    """Seconds from starting a fresh ``icam-bot ask`` process to its answer line on stdout."""
    cmd = [sys.executable, "-m", "icam_bot.cli.main", "ask", "--json", QUESTION]
    start = time.perf_counter()
    with subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        elapsed = time.perf_counter() - start
        _, err = proc.communicate()
    if proc.returncode or '"answered": true' not in line:
        raise SystemExit(f"icam-bot ask failed ({proc.returncode}): {line}\n{err}")
    return elapsed


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def spread(values: list[float]) -> str:
    runs = ", ".join(f"{v:.2f}" for v in values)
    return f"{runs} s (median {statistics.median(values):.2f}, spread {min(values):.2f}-{max(values):.2f})"


def encoding(threads: int) -> None:
    import numpy as np

    from icam_bot.knowledge import load_knowledge
    from icam_bot.matching.embedding import MiniLMEncoder
    from icam_bot.text.normalize import answer_lead, clean_text, plain_answer

    kb = load_knowledge()
    texts = [clean_text(p) for e in kb.entries for p in e.phrasings]
    texts += [clean_text(t) for r in kb.redirects for t in (r.topic, *r.examples)]
    texts += [answer_lead(plain_answer(e.answer)) for e in kb.entries]
    texts += [answer_lead(plain_answer(r.message)) for r in kb.redirects]
    texts = sorted(set(texts))
    with tempfile.TemporaryDirectory() as tmp:
        encoder = MiniLMEncoder(cache_dir=Path(tmp))
        results = {}
        for n in (1, threads):
            start, cpu = time.perf_counter(), time.process_time()
            results[n] = encoder.encode(texts, threads=n)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            print(f"encode {len(texts):,} texts on {n} thread(s): {wall:.1f} s wall, {cpu:.1f} s CPU (load {load()})")
        diff = float(np.abs(results[1] - results[threads]).max())
        print(f"max abs difference between the two: {diff:.1e}")


def main() -> None:
    from icam_bot.matching.embedding import available_cpus

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--encode", action="store_true", help="also time in-process encoding on 1 and all threads")
    args = parser.parse_args()
    print(f"{available_cpus()} CPUs available, load average {load()} (1/5/15 min) at the start")
    if args.encode:
        encoding(available_cpus())
    cold: list[float] = []
    warm: list[float] = []
    with tempfile.TemporaryDirectory(prefix="icam-cold-") as tmp:
        prebuilt = Path(tmp) / "prebuilt"
        subprocess.run(
            [sys.executable, "-m", "icam_bot.cli.main", "cache", "build", "--dir", str(prebuilt)],
            env=_env(),
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        for run in range(1, args.runs + 1):
            for label, times, extra in (
                ("no cache", cold, {}),
                ("prebuilt", warm, {"ICAM_PREBUILT_CACHE_DIR": str(prebuilt)}),
            ):
                writable = Path(tmp) / "data" / "cache"
                shutil.rmtree(writable.parent, ignore_errors=True)
                times.append(first_answer(_env(ICAM_CACHE_DIR=str(writable), **extra)))
                written = sorted(p.name for p in writable.iterdir()) if writable.is_dir() else []
                print(f"run {run} {label:>8}: {times[-1]:6.2f} s (load {load()}; wrote {len(written)} cache files)")
    print(f"first answer, no cache:         {spread(cold)}")
    print(f"first answer, prebuilt cache:   {spread(warm)}")


if __name__ == "__main__":
    main()
