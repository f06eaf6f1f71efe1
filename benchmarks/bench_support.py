"""What the database benchmarks share: a throw-away database, timing a call, and the results table."""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def throwaway_database(url: str | None) -> Iterator[str]:
    """A URL to an empty database, removed afterwards: a new schema of the PostgreSQL ``url`` (dropped with
    everything in it), or a temporary SQLite file when ``url`` is None."""
    if not url:
        with tempfile.TemporaryDirectory(prefix="icam-bench-") as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite3"
        return
    schema = f"icam_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds per call over ``runs`` calls, after one warm-up call."""
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


def print_table(label: str, results: list[tuple[str, list[float]]]) -> None:
    """One row per measured operation: runs, p50, p99 and max in milliseconds."""
    print(f"{label:<34} {'runs':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, samples in results:
        print(
            f"{name:<34} {len(samples):>5} {statistics.median(samples):>8.2f} {p99(samples):>8.2f} {max(samples):>8.2f}"
        )
