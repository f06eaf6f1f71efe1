"""Answering in worker processes gives the same replies as answering in-process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from icam_bot.answer_pool import AnswerPool
from icam_bot.config import Settings


@pytest.mark.parametrize("workers", [0, 1])
async def test_pool_answers_like_the_responder(responder, tmp_path, workers):
    env = {"ICAM_DATA_DIR": str(tmp_path), "ICAM_CACHE_DIR": os.environ["ICAM_CACHE_DIR"]}
    settings = Settings.from_env({**env, "ICAM_ANSWER_WORKERS": str(workers)})
    pool = AnswerPool(responder, settings, settings.answer_workers)
    try:
        pool.warm_up()
        reply = await pool.ask("I forgot my PIV PIN")
        match = await pool.match("what does PACS stand for")
    finally:
        pool.close()
    expected = responder.ask("I forgot my PIV PIN")
    assert reply.decision == expected.decision
    assert reply.entry == expected.entry
    assert reply.text == expected.text
    assert match.candidates[0].entry_id == "glossary-pacs"


def test_answer_workers_setting_is_validated(tmp_path):
    from icam_bot.config import ConfigError

    with pytest.raises(ConfigError, match="ICAM_ANSWER_WORKERS"):
        Settings.from_env({"ICAM_DATA_DIR": str(tmp_path), "ICAM_ANSWER_WORKERS": "lots"})


def test_a_repeated_question_is_answered_from_the_recent_replies(responder, monkeypatch):
    first = responder.ask("how long is a PIV card valid for these days?")

    def no_matching(_text):
        raise AssertionError("a repeated question must not be matched again")

    monkeypatch.setattr(responder.matcher, "match", no_matching)
    assert responder.ask("how long is a PIV card valid for these days?") is first


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting for its reaper has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads process states from /proc")
def test_a_worker_ends_when_the_server_that_started_it_is_killed():
    """A server killed outright (SIGKILL) cannot shut its pool down: its worker notices and exits by itself."""
    worker = (
        "import sys, time; from icam_bot.answer_pool import watch_parent; "
        "watch_parent(int(sys.argv[1]), interval=0.05); print('watching', flush=True); time.sleep(60)"
    )
    server = (
        "import os, subprocess, sys, time; "
        f"child = subprocess.Popen([sys.executable, '-c', {worker!r}, str(os.getpid())]); "
        "print(child.pid, flush=True); time.sleep(60)"
    )
    repo = Path(__file__).resolve().parents[2]
    with subprocess.Popen([sys.executable, "-c", server], cwd=repo, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        lines = {proc.stdout.readline().strip() for _ in range(2)}  # the worker's pid, and its "watching"
        assert "watching" in lines, lines
        worker_pid = int((lines - {"watching"}).pop())
        assert _running(worker_pid)  # alive while its server is
        proc.kill()
    deadline = time.monotonic() + 20
    while _running(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _running(worker_pid):
        os.kill(worker_pid, 9)
        raise AssertionError("the worker outlived its server")
