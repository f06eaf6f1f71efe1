"""A first start: progress while vectors are encoded (counts only, never text), ``icam-bot cache build`` ahead of
a start, and a read-only prebuilt cache directory (ICAM_PREBUILT_CACHE_DIR) under a writable ICAM_CACHE_DIR."""

from __future__ import annotations

import io
import itertools
import json
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from icam_bot.cache_files import PREBUILT_ENV
from icam_bot.knowledge import load_knowledge
from icam_bot.knowledge.loader import bundled_knowledge_dir
from icam_bot.matching import Matcher, progress, vector_store
from icam_bot.matching.embedding import MiniLMEncoder, find_model_dir
from icam_bot.matching.progress import Progress

REPO = Path(__file__).resolve().parents[2]
needs_model = pytest.mark.skipif(find_model_dir() is None, reason="embedding model not installed")
#: A word in every phrasing and answer of the tiny knowledge base: it must never reach a log line.
SECRET = "quokkazebra"
LINE = re.compile(r"encoding \d+ (new )?phrasings and answers: \d+/\d+ \(\d+ %\)(, ~\d+ (s|min) left)?")


def entry(i: int) -> dict:
    return {
        "id": f"tiny-entry-{i}",
        "question": f"How do I renew {SECRET} badge number {i}?",
        "alternates": [f"renew {SECRET} {i}", f"{SECRET} badge {i} expired", f"new {SECRET} card {i} please"],
        "answer": f"Visit the badge office for {SECRET} renewal {i}. Ask {{helpdesk_contact}}.",
        "tags": ["piv"],
        "references": [{"title": "FIPS 201-3", "url": "https://doi.org/10.6028/NIST.FIPS.201-3"}],
        "owner": "credentialing",
        "last_reviewed": "2026-01-01",
    }


def tiny_kb(path: Path, entries: int = 6) -> Path:
    """A knowledge directory of ``entries`` entries (4 phrasings each) and the bundled site file."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy(bundled_knowledge_dir() / "site.yaml", path / "site.yaml")
    data = {"category": "credentialing", "title": "T", "entries": [entry(i) for i in range(entries)]}
    text = yaml.safe_dump(data, sort_keys=False).replace("'2026-01-01'", "2026-01-01")
    (path / "credentialing.yaml").write_text(text)
    return path


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir()}


@pytest.fixture(scope="module")
def encoder():
    # The ONNX graph comes from the shared test cache: these tests are about the knowledge base's caches.
    return MiniLMEncoder(cache_dir=Path(os.environ["ICAM_TEST_CACHE_DIR"]))


# -- progress ------------------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_logs_at_most_every_two_seconds_with_time_left(caplog):
    clock = Clock()
    log = logging.getLogger("test.progress")
    with caplog.at_level(logging.INFO, logger="test.progress"):
        report = Progress("phrasings and answers", 7612, log, clock=clock, detail="2 threads")
        for done in range(1, 11):  # ten batches, 0.5 s apart, each a twentieth of the work
            clock.now += 0.5
            report.update(done * 100, done / 20)
        report.finish()
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "encoding 7,612 phrasings and answers (2 threads)"
    assert lines[1:-1] == [
        "encoding 7,612 phrasings and answers: 400/7,612 (5 %), ~8 s left",
        "encoding 7,612 phrasings and answers: 800/7,612 (10 %), ~6 s left",
    ]
    assert lines[-1] == "encoded 7,612 phrasings and answers in 5.0 s"


def test_progress_bar_on_a_terminal_replaces_the_log_lines(caplog):
    clock, stream = Clock(), io.StringIO()
    with caplog.at_level(logging.INFO, logger="test.progress"):
        report = Progress("phrasings", 200, logging.getLogger("test.progress"), clock=clock, stream=stream)
        clock.now += 1
        report.update(100, 0.5)
        report.finish()
    assert "\rencoding phrasings [###############...............] 100/200 (50 %), ~1 s left" in stream.getvalue()
    assert stream.getvalue().endswith("\r\x1b[K")  # the bar is cleared when done
    assert [r.getMessage() for r in caplog.records] == ["encoding 200 phrasings", "encoded 200 phrasings in 1.0 s"]


@needs_model
def test_building_the_index_logs_progress_and_never_the_text(tmp_path, caplog, monkeypatch, encoder):
    monkeypatch.setattr(progress, "LOG_INTERVAL", 0.0)  # a line per batch
    monkeypatch.setattr(vector_store, "BULK_TEXTS", 1)  # the threaded path, even for a tiny knowledge base
    kb = load_knowledge(tiny_kb(tmp_path / "kb", entries=12))
    texts = 12 * 4 + 12  # phrasings and answers
    with caplog.at_level(logging.DEBUG):
        matcher = Matcher(kb, encoder=encoder, cache_dir=tmp_path / "cache")
        result = matcher.match(f"my {SECRET} badge 3 expired, what now?")
    assert result.candidates
    assert matcher.vectors_encoded == texts
    lines = [r.getMessage() for r in caplog.records if r.name == "icam_bot.matching.vector_store"]
    assert re.fullmatch(rf"encoding {texts} phrasings and answers \(\d+ threads\)", lines[0])
    assert lines[1:-1], lines
    assert all(LINE.fullmatch(line) for line in lines[1:-1]), lines
    assert lines[-2].startswith(f"encoding {texts} phrasings and answers: {texts}/{texts} (100 %)")
    assert re.fullmatch(rf"encoded {texts} phrasings and answers in \d+\.\d s", lines[-1])
    logged = "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    assert SECRET not in logged.lower()


@needs_model
def test_threaded_encoding_gives_the_same_vectors(encoder):
    texts = [f"how do I renew my PIV card number {i}" + " please" * (i % 7) for i in range(40)]
    one = encoder.encode(texts, batch_size=4)
    seen: list[tuple[int, float]] = []
    many = encoder.encode(texts, batch_size=4, threads=3, progress=lambda done, share: seen.append((done, share)))
    assert np.abs(one - many).max() < 1e-6
    step = min(4, encoder.max_batch)  # the int8 graph encodes one text per run
    assert [done for done, _ in seen] == list(range(step, 41, step))
    assert seen[-1][1] == 1.0
    assert all(a[1] < b[1] for a, b in itertools.pairwise(seen))


# -- prebuilt caches -----------------------------------------------------------------------------------------


def icam_bot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "icam_bot.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**{k: v for k, v in os.environ.items() if k != PREBUILT_ENV}, "ICAM_EMBEDDINGS": "auto", **env},
        timeout=300,
        check=False,
    )


@needs_model
def test_cache_build_then_a_start_reuses_every_cache(tmp_path):
    cache = tmp_path / "cache"
    env = {"ICAM_KNOWLEDGE_DIR": str(tiny_kb(tmp_path / "kb")), "ICAM_CACHE_DIR": str(cache)}
    built = icam_bot("cache", "build", env=env)
    assert built.returncode == 0, built.stderr
    assert "6 entries (semantic matching; 30 vectors encoded)" in built.stdout
    assert "encoded 30 phrasings and answers in" in built.stderr  # progress is logged without -v
    names = sorted(p.name for p in cache.iterdir())
    assert [n.split("-")[0] for n in names] == ["all", "knowledge", "lexical", "vectors"], names
    assert names[0].endswith(".onnx")
    before = snapshot(cache)
    asked = icam_bot("-v", "ask", "--json", f"{SECRET} badge 2 expired", env=env)
    assert asked.returncode == 0, asked.stderr
    assert "encod" not in asked.stderr
    assert snapshot(cache) == before  # nothing rebuilt, nothing rewritten
    again = icam_bot("cache", "build", env=env)
    assert "vectors already cached" in again.stdout, again.stdout
    assert snapshot(cache) == before


def _read_only(folder: Path) -> None:
    for path in folder.iterdir():
        path.chmod(0o444)
    folder.chmod(0o555)


@needs_model
def test_a_read_only_prebuilt_cache_is_read_and_new_vectors_go_to_the_writable_dir(tmp_path, monkeypatch, encoder):
    prebuilt, writable = tmp_path / "prebuilt", tmp_path / "data" / "cache"
    kb_dir = tiny_kb(tmp_path / "kb")
    kb = load_knowledge(kb_dir, cache_dir=prebuilt)
    Matcher(kb, encoder=encoder, cache_dir=prebuilt)
    _read_only(prebuilt)
    frozen = snapshot(prebuilt)
    monkeypatch.setenv(PREBUILT_ENV, str(prebuilt))
    try:
        same = load_knowledge(kb_dir, cache_dir=writable)
        matcher = Matcher(same, encoder=encoder, cache_dir=writable)
        assert matcher.vectors_encoded == 0
        assert not writable.exists() or not list(writable.iterdir())  # everything came from the prebuilt dir
        assert matcher.match(f"{SECRET} badge 2 expired").candidates[0].entry_id == "tiny-entry-2"

        tiny_kb(kb_dir, entries=7)  # the knowledge base differs from the image's: one entry more
        changed = load_knowledge(kb_dir, cache_dir=writable)
        matcher = Matcher(changed, encoder=encoder, cache_dir=writable)
        assert matcher.vectors_encoded == 5  # the new entry's 4 phrasings and answer, nothing else
        with np.load(writable / f"vectors-all-MiniLM-L6-v2-{encoder.precision}.npz") as data:
            assert len(data["keys"]) == 5  # only the rows the prebuilt cache lacks
        assert sorted(p.name.split("-")[0] for p in writable.iterdir()) == ["knowledge", "lexical", "vectors"]
        assert snapshot(prebuilt) == frozen
        assert stat.S_IMODE(writable.stat().st_mode) == 0o700
    finally:
        prebuilt.chmod(0o755)


@needs_model
def test_kb_overlaps_names_a_phrasing_that_belongs_to_another_entry(tmp_path):
    kb_dir = tiny_kb(tmp_path / "kb", entries=3)
    data = yaml.safe_load((kb_dir / "credentialing.yaml").read_text())
    data["entries"][1]["alternates"].append(f"renew {SECRET} 0")  # entry 0's phrasing, filed under entry 1
    (kb_dir / "credentialing.yaml").write_text(
        yaml.safe_dump(data, sort_keys=False).replace("'2026-01-01'", "2026-01-01")
    )
    env = {**os.environ, "ICAM_KNOWLEDGE_DIR": str(kb_dir), "ICAM_CACHE_DIR": str(tmp_path / "cache")}
    run = [sys.executable, "-m", "icam_bot.cli.main", "kb", "overlaps", "--json", "--margin", "0"]
    proc = subprocess.run(run, capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    found = [json.loads(line) for line in proc.stdout.splitlines()]
    (misfiled,) = [o for o in found if o["entry_id"] == "tiny-entry-1" and o["phrasing"] == f"renew {SECRET} 0"]
    assert misfiled["other_entry_id"] == "tiny-entry-0"
    assert misfiled["other"] > misfiled["own"]
    assert found == sorted(found, key=lambda o: o["own"] - o["other"])  # the worst first
    proc = subprocess.run([*run, "--category", "nope"], capture_output=True, text=True, env=env, cwd=REPO, check=False)
    assert proc.returncode == 2
    assert "unknown category: nope" in proc.stderr
