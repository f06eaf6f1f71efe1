"""The spool on disk: a question acked while the database is down is in the spool file before the ack and is
stored and answered once the database returns; a file left by a killed replica is replayed at the next start;
a question replayed after another replica stored a retry of its event is answered once."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from slack_harness import serve_app
from slack_requests import direct_message
from sqlalchemy import select
from test_database_outage import DM_CHANNEL, answers, database_down, rows

from handlers.runtime.spool import Spool
from icam_bot.db.models import ProcessedEvent
from icam_bot.inbox.models import PendingQuestion
from icam_bot.inbox.service import Question, QuestionInbox
from icam_bot.questions.models import QuestionLog
from icam_bot.questions.store import Store

QUESTION_TEXT = "what does PACS stand for?"


def _lines(directory: Path) -> list[dict]:
    return [
        json.loads(line) for path in sorted(directory.glob("spool-*.jsonl")) for line in path.read_text().splitlines()
    ]


def _question(n: int) -> Question:
    return Question(f"event:EvKILLED{n}", "U0000STAFF", DM_CHANNEL, "dm", QUESTION_TEXT)


def _killed_replica_left(directory: Path, database_url: str) -> None:
    """A replica that acked a question during an outage and was killed (its file stays, its lock is free)."""
    store = Store.from_url(database_url)
    spool = Spool(store, directory, "killed:1:abcd")
    spool.asked(_question(1), "EvKILLED1")
    spool.close()  # as kill -9 does: nothing flushed, the lock released
    store.close()


async def _settled(h, count: int) -> None:
    for _ in range(300):
        if len(answers(h)) >= count and not len(h.services.spool):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # and nothing more


async def test_a_question_acked_in_an_outage_is_on_disk_before_its_ack_and_answered_once_after(
    responder, database_url, monkeypatch, tmp_path
):
    async with serve_app(responder, database_url, spool_dir=str(tmp_path)) as h:
        database_down(h, monkeypatch)
        assert await h.event(direct_message(QUESTION_TEXT), "EvDISK0001") == 200
        asked = [line["record"] for line in _lines(tmp_path) if line["kind"] == "asked"]
        assert [(a["event_id"], a["question"]["text"]) for a in asked] == [("EvDISK0001", QUESTION_TEXT)]
        assert await h.event(direct_message(QUESTION_TEXT), "EvDISK0001", retry=1) == 200  # seen here: skipped
        await asyncio.sleep(1.0)
        assert answers(h) == []  # answered from the store, once the database is back

        monkeypatch.undo()
        await _settled(h, 1)
        assert len(answers(h)) == 1
        assert _lines(tmp_path) == []
        (stored,) = rows(h, PendingQuestion)
        assert (stored.request_key, stored.status) == ("event:EvDISK0001", "answered")
        assert [r.text for r in rows(h, QuestionLog)] == [QUESTION_TEXT]
        assert [r.event_id for r in rows(h, ProcessedEvent)] == ["EvDISK0001"]


async def test_a_question_a_killed_replica_acked_in_an_outage_is_answered_after_a_restart(
    responder, database_url, tmp_path
):
    _killed_replica_left(tmp_path, database_url)

    async with serve_app(responder, database_url, spool_dir=str(tmp_path)) as h:
        await _settled(h, 1)
        assert len(answers(h)) == 1
        assert [r.status for r in rows(h, PendingQuestion)] == ["answered"]
        assert [r.event_id for r in rows(h, ProcessedEvent)] == ["EvKILLED1"]  # a retry is not answered again
        assert await h.event(direct_message(QUESTION_TEXT), "EvKILLED1", retry=1) == 200
        await asyncio.sleep(1.0)
        assert len(answers(h)) == 1
        assert [r.text for r in rows(h, QuestionLog)] == [QUESTION_TEXT]
        assert list(tmp_path.glob("spool-killed*")) == []


def test_a_replayed_spool_stores_its_question_once_however_often_and_wherever_it_is_replayed(database_url, tmp_path):
    # another replica stored a retry of the same event after the database came back
    store = Store.from_url(database_url)
    stored = QuestionInbox(store.engine).store(_question(1), "replica-x", event_id="EvKILLED1")
    assert stored is not None
    _killed_replica_left(tmp_path, database_url)
    copy = (tmp_path / "spool-killed_1_abcd.jsonl").read_text()
    try:
        first = Spool(store, tmp_path, "replica-b")
        assert first.flush() == 1
        assert first.take_restored() == []  # stored before: nothing for replica-b to answer
        first.close()
        (tmp_path / "spool-again.jsonl").write_text(copy)  # the same records replayed again
        (tmp_path / "spool-again.lock").write_text("")
        second = Spool(store, tmp_path, "replica-c")
        assert second.flush() == 1
        assert second.take_restored() == []
        second.close()
        with store.sessions() as session:
            questions = list(session.scalars(select(PendingQuestion)))
        assert [(q.request_key, q.claimed_by) for q in questions] == [("event:EvKILLED1", "replica-x")]
    finally:
        store.close()


async def test_a_full_spool_refuses_the_event_with_503_for_slack_to_retry(
    responder, database_url, monkeypatch, tmp_path
):
    async with serve_app(responder, database_url, spool_dir=str(tmp_path)) as h:
        database_down(h, monkeypatch)
        h.services.spool.max_bytes = 10
        assert await h.event(direct_message(QUESTION_TEXT), "EvFULL0001") == 503
        status, body = await h.command("ask what does PACS stand for?")
        assert status == 200
        assert "ask again in a few minutes" in body
        await asyncio.sleep(0.5)
        assert answers(h) == []
        assert _lines(tmp_path) == []
