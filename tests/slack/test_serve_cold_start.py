"""``icam-bot serve`` on a first start: the encoding shows in its JSON log (counts, never text); worker processes
then read the cache the server wrote instead of encoding again."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import aiohttp
import pytest
import yaml
from fake_slack import FakeSlack
from serve_process import serve_env, start_serve, wait_healthy

from icam_bot.knowledge.loader import bundled_knowledge_dir
from icam_bot.matching.embedding import find_model_dir

#: In every phrasing and answer of the test's knowledge base: it must never reach a log line.
SECRET = "wombatkiwi"


def write_kb(path: Path) -> Path:
    path.mkdir()
    shutil.copy(bundled_knowledge_dir() / "site.yaml", path / "site.yaml")
    entries = [
        {
            "id": f"serve-entry-{i}",
            "question": f"How do I renew {SECRET} badge number {i}?",
            "alternates": [f"renew {SECRET} {i}", f"{SECRET} badge {i} expired", f"new {SECRET} card {i}"],
            "answer": f"Visit the badge office for {SECRET} renewal {i}.",
            "tags": ["piv"],
            "references": [{"title": "FIPS 201-3", "url": "https://doi.org/10.6028/NIST.FIPS.201-3"}],
            "owner": "credentialing",
            "last_reviewed": "2026-01-01",
        }
        for i in range(5)
    ]
    text = yaml.safe_dump({"category": "credentialing", "title": "T", "entries": entries}, sort_keys=False)
    (path / "credentialing.yaml").write_text(text.replace("'2026-01-01'", "2026-01-01"))
    return path


@pytest.mark.skipif(find_model_dir() is None, reason="embedding model not installed")
async def test_first_start_logs_encoding_progress_and_workers_reuse_the_cache(tmp_path):
    fake = await FakeSlack().start()
    env = serve_env(
        fake.api_url,
        f"sqlite:///{tmp_path / 'icam.sqlite3'}",
        tmp_path,
        ICAM_KNOWLEDGE_DIR=str(write_kb(tmp_path / "kb")),
        ICAM_CACHE_DIR=str(tmp_path / "cache"),
        # The ONNX graph from the tests' shared cache, read-only: only this knowledge base is new.
        ICAM_PREBUILT_CACHE_DIR=os.environ["ICAM_TEST_CACHE_DIR"],
        ICAM_EMBEDDINGS="on",
        ICAM_ANSWER_WORKERS="1",
    )
    served = start_serve(env, tmp_path / "serve.log")
    try:
        async with aiohttp.ClientSession() as session:
            await wait_healthy(session, served)
    finally:
        served.kill()
        await fake.stop()
    lines = served.log_lines()
    progress = [line for line in lines if line.get("logger") == "icam_bot.matching.vector_store"]
    messages = [line["msg"] for line in progress]
    # Once: the worker process reads the vectors the server wrote. ("new": the prebuilt cache has other rows.)
    assert re.fullmatch(r"encoding 25 (new )?phrasings and answers", messages[0]), messages
    assert re.fullmatch(r"encoded 25 (new )?phrasings and answers in \d+\.\d s", messages[-1]), messages
    assert all(re.search(r": \d+/25 \(\d+ %\)", m) for m in messages[1:-1]), messages
    assert {line["level"] for line in progress} == {"INFO"}
    assert SECRET not in (tmp_path / "serve.log").read_text().lower()
    assert not list((tmp_path / "cache").glob("*.onnx"))  # the graph was read from the prebuilt directory
