"""Answer worker processes watch the live version too: a row closed elsewhere is answered by a worker process
(with its own knowledge and caches) within the watch interval, without a restart."""

from __future__ import annotations

import asyncio
import dataclasses
import os

from knowledge_gaps import UNANSWERED_QUESTION as QUESTION

from icam_bot.answer_pool import AnswerPool
from icam_bot.config import Settings
from icam_bot.questions.answering import AnswerService, Asker
from icam_bot.questions.store import Store
from icam_bot.teaching.service import TeachingService

PMO = "U0PMO0000A"


async def test_a_worker_process_answers_what_was_taught_after_it_started(engine, responder, programs, tmp_path):
    url = engine.url.render_as_string(hide_password=False)
    settings = Settings.from_env(
        {
            "DATABASE_URL": url,
            "ICAM_CACHE_DIR": os.environ["ICAM_CACHE_DIR"],
            "ICAM_DATA_DIR": str(tmp_path),
            "ICAM_KB_WATCH_SECONDS": "1",
        }
    )
    pool = AnswerPool(responder, settings, workers=1)
    try:
        assert (await pool.ask(QUESTION)).entry is None
        AnswerService(responder, Store(engine)).answer(QUESTION, Asker("U1", "dm", "D1"))
        roles = dataclasses.replace(programs, pmo_members=frozenset({PMO}))
        teaching = TeachingService(engine, responder, roles)
        teaching.close_with_entry(PMO, teaching.queue(PMO)[0].key, "app-why-sso")
        for _ in range(60):
            reply = await pool.ask(QUESTION)
            if reply.entry is not None:
                break
            await asyncio.sleep(0.25)
        assert reply.entry is not None
        assert reply.entry.id == "app-why-sso"
        assert responder.ask(QUESTION).entry is None  # this process was not told: only the worker watched
    finally:
        pool.close()
