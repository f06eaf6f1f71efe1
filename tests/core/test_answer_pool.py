"""Answering in worker processes gives the same replies as answering in-process."""

from __future__ import annotations

import os

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
