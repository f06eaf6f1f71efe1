"""Live knowledge (issue 14): the cost of a reload at 1,000 entries, and how long "approved" takes to become
"answered on every replica" (two Responders, each watching the live version as a replica does).

Run: .venv/bin/python benchmarks/kb_reload.py [--entries 1000] [--reloads 5] [--watch 15]

The knowledge base is grown to ``--entries`` as in matcher_bench.py (synthetic entries reuse the real phrasings'
vectors plus noise). A reload merges the live changes into the YAML knowledge base and rebuilds the matcher
(lexical index, related pairs, vectors from the shared cache: only the new phrasing is encoded). The database is
a SQLite file built by the migrations; each change is a real queue row closed through TeachingService.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import dataclasses
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from matcher_bench import SyntheticVectorEncoder, grow  # noqa: E402

from icam_bot.answers import Responder  # noqa: E402
from icam_bot.db import make_engine, upgrade  # noqa: E402
from icam_bot.knowledge import load_knowledge  # noqa: E402
from icam_bot.matching import Matcher  # noqa: E402
from icam_bot.matching.embedding import MiniLMEncoder, find_model_dir  # noqa: E402
from icam_bot.programs.routing import load_programs  # noqa: E402
from icam_bot.questions.signals import SignalKind  # noqa: E402
from icam_bot.questions.store import Store  # noqa: E402
from icam_bot.teaching.live import LiveKnowledge, rebuild_matcher  # noqa: E402
from icam_bot.teaching.service import TeachingService  # noqa: E402

PMO = "U0PMO00001"
ENTRY = "app-why-sso"


def teach(engine, teaching: TeachingService, question: str) -> None:
    """The question on the queue (as an unanswered question is) and its row closed with ENTRY."""
    unanswered = (SignalKind.UNANSWERED, ())
    Store(engine).log_question(user_id="U0ASKER01", text=question, decision="abstain", surface="dm", signal=unanswered)
    row = next(r for r in teaching.queue(PMO, 1000) if question in r.questions)
    teaching.close_with_entry(PMO, row.key, ENTRY)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--reloads", type=int, default=5)
    parser.add_argument("--watch", type=float, default=15.0, help="ICAM_KB_WATCH_SECONDS of the two replicas")
    args = parser.parse_args()
    grown, sources = grow(load_knowledge(), args.entries)
    real = MiniLMEncoder(cache_dir=REPO / ".cache") if find_model_dir() else None
    encoder = SyntheticVectorEncoder(real, sources) if real else None
    cache = REPO / ".cache" / f"bench-{args.entries}"
    base = Matcher(grown, encoder=encoder, use_embeddings=bool(real), cache_dir=cache)  # type: ignore[arg-type]
    replica_a = Responder(grown, rebuild_matcher(base, grown))
    replica_b = Responder(grown, rebuild_matcher(base, grown))
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.sqlite3")
        upgrade(engine)
        roles = dataclasses.replace(load_programs(), pmo_members=frozenset({PMO}))
        teaching = TeachingService(engine, replica_a, roles)
        live_a = LiveKnowledge(replica_a, engine, args.watch)
        live_b = LiveKnowledge(replica_b, engine, args.watch)
        stamp = int(time.time())

        # (1) a reload's cost: one new phrasing live, then refresh
        reloads = []
        first_reload = 0.0
        for n in range(args.reloads + 1):
            teach(engine, teaching, f"where is form {stamp}x{n} for the contractor laptop dongle smartcard")
            start = time.perf_counter()
            assert live_a.refresh(force=True)
            if n == 0:  # the first reload in a process analyses every document once (a loaded index has no memo)
                first_reload = time.perf_counter() - start
            else:
                reloads.append(time.perf_counter() - start)
            encoded = replica_a.matcher.vectors_encoded
        live_b.refresh(force=True)

        # (2) approved -> answered on both replicas, each watching every args.watch seconds
        question = f"which kiosk {stamp} prints temporary visitor wristbands for the annex"
        stop = threading.Event()
        answered_at: dict[str, float] = {}

        def replica(name: str, responder: Responder, live: LiveKnowledge) -> None:
            while not stop.is_set():
                live.refresh()
                reply = responder.ask(question)
                if reply.entry is not None and reply.entry.id == ENTRY and name not in answered_at:
                    answered_at[name] = time.perf_counter()
                time.sleep(0.05)

        threads = [
            threading.Thread(target=replica, args=("a", replica_a, live_a)),
            threading.Thread(target=replica, args=("b", replica_b, live_b)),
        ]
        for t in threads:
            t.start()
        time.sleep(args.watch * 0.5)  # the watches are somewhere in their interval, as in production
        approved = time.perf_counter()
        teach(engine, teaching, question)
        while len(answered_at) < 2 and time.perf_counter() - approved < args.watch * 3 + 30:
            time.sleep(0.02)
        stop.set()
        for t in threads:
            t.join()
        engine.dispose()
    print(
        json.dumps(
            {
                "entries": len(grown.entries),
                "mode": base.mode,
                "reload_s_median": round(statistics.median(reloads), 3),
                "reload_s_max": round(max(reloads), 3),
                "first_reload_s": round(first_reload, 3),
                "texts_encoded_per_reload": encoded,
                "watch_s": args.watch,
                "approved_to_answered_everywhere_s": round(max(answered_at.values()) - approved, 3)
                if len(answered_at) == 2
                else None,
            }
        )
    )


if __name__ == "__main__":
    main()
