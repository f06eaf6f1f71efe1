"""The spool on disk: a question acked while the database is down is in the spool file before the ack, and a
file left by a killed replica is replayed into the database at the next start, exactly once."""

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
from icam_bot.inbox.service import Question
from icam_bot.questions.answering import QuestionRecord
from icam_bot.questions.models import QuestionLog
from icam_bot.questions.store import Store


def _lines(directory: Path) -> list[dict]:
    return [
        json.loads(line) for path in sorted(directory.glob("spool-*.jsonl")) for line in path.read_text().splitlines()
    ]


def _question(n: int) -> Question:
    return Question(f"event:EvKILLED{n}", "U0000STAFF", DM_CHANNEL, "dm", "what does PACS stand for?")


def _killed_replica_left(directory: Path, database_url: str, *, replied: bool) -> None:
    """A replica that acked a question during an outage and was killed (its file stays, its lock is free)."""
    store = Store.from_url(database_url)
    spool = Spool(store, directory, "killed:1:abcd")
    spool.asked(_question(1), "EvKILLED1")
    if replied:
        record = QuestionRecord("U0000STAFF", DM_CHANNEL, "dm", "what does PACS stand for?", "answer", "x", 0.9)
        spool.replied("event:EvKILLED1", record.as_dict(), delivered=True)
    spool.close()  # as kill -9 does: nothing flushed, the lock released
    store.close()


async def test_an_event_question_is_on_disk_before_its_ack(responder, database_url, monkeypatch, tmp_path):
    async with serve_app(responder, database_url, spool_dir=str(tmp_path)) as h:
        database_down(h, monkeypatch)
        assert await h.event(direct_message("what does PACS stand for?"), "EvDISK0001") == 200
        asked = [line for line in _lines(tmp_path) if line["kind"] == "asked"]
        assert [(a["record"]["event_id"], a["record"]["question"]["text"]) for a in asked] == [
            ("EvDISK0001", "what does PACS stand for?")
        ]
        await h.fake.wait_for("chat.postMessage")
        for _ in range(100):
            if any(line["kind"] == "replied" for line in _lines(tmp_path)):
                break
            await asyncio.sleep(0.02)
        monkeypatch.undo()  # the database is back: replayed, the file emptied
        for _ in range(300):
            if not len(h.services.spool):
                break
            await asyncio.sleep(0.05)
        assert _lines(tmp_path) == []
        (stored,) = rows(h, PendingQuestion)
        assert (stored.request_key, stored.status) == ("event:EvDISK0001", "answered")
        assert [r.text for r in rows(h, QuestionLog)] == ["what does PACS stand for?"]
        await asyncio.sleep(1.0)
        assert len(answers(h)) == 1


async def test_a_question_a_killed_replica_acked_in_an_outage_is_answered_after_a_restart(
    responder, database_url, tmp_path
):
    _killed_replica_left(tmp_path, database_url, replied=False)

    async with serve_app(responder, database_url, spool_dir=str(tmp_path), lease_seconds=3) as h:
        await h.fake.wait_for("chat.postMessage", timeout=20)
        for _ in range(100):
            if [r.status for r in rows(h, PendingQuestion)] == ["answered"]:
                break
            await asyncio.sleep(0.05)
        assert [r.status for r in rows(h, PendingQuestion)] == ["answered"]
        assert [r.event_id for r in rows(h, ProcessedEvent)] == ["EvKILLED1"]  # a retry is not answered again
        assert await h.event(direct_message("what does PACS stand for?"), "EvKILLED1", retry=1) == 200
        await asyncio.sleep(1.0)
        assert len(answers(h)) == 1
        assert [r.text for r in rows(h, QuestionLog)] == ["what does PACS stand for?"]
        assert list(tmp_path.glob("spool-killed*")) == []


def test_a_replayed_spool_is_written_once_however_often_it_is_replayed(database_url, tmp_path):
    _killed_replica_left(tmp_path, database_url, replied=True)
    copy = (tmp_path / "spool-killed_1_abcd.jsonl").read_text()
    store = Store.from_url(database_url)
    try:
        first = Spool(store, tmp_path, "replica-b")
        assert first.flush() == 2
        first.close()
        (tmp_path / "spool-again.jsonl").write_text(copy)  # the same records replayed again
        (tmp_path / "spool-again.lock").write_text("")
        second = Spool(store, tmp_path, "replica-c")
        assert second.flush() == 2
        second.close()
        with store.sessions() as session:
            stored = list(session.scalars(select(PendingQuestion)))
            logged = list(session.scalars(select(QuestionLog)))
        assert [(q.request_key, q.status) for q in stored] == [("event:EvKILLED1", "answered")]
        assert len(logged) == 1
    finally:
        store.close()


async def test_a_full_spool_refuses_the_event_with_503_for_slack_to_retry(
    responder, database_url, monkeypatch, tmp_path
):
    async with serve_app(responder, database_url, spool_dir=str(tmp_path)) as h:
        database_down(h, monkeypatch)
        h.services.spool.max_bytes = 10
        assert await h.event(direct_message("what does PACS stand for?"), "EvFULL0001") == 503
        status, body = await h.command("ask what does PACS stand for?")
        assert status == 200
        assert "ask again in a few minutes" in body
        await asyncio.sleep(0.5)
        assert answers(h) == []
        assert _lines(tmp_path) == []


def test_a_question_still_being_answered_waits_in_the_spool_until_its_reply_is_known(database_url, tmp_path):
    store = Store.from_url(database_url)
    spool = Spool(store, tmp_path, "replica-a")
    try:
        spool.asked(_question(7), "EvKILLED7")
        assert spool.flush() == 0  # its event id is recorded at once (a retry elsewhere is not answered) ...
        with store.sessions() as session:
            assert list(session.scalars(select(ProcessedEvent.event_id))) == ["EvKILLED7"]
            assert list(session.scalars(select(PendingQuestion))) == []  # ... the question waits for its reply
        spool.replied("event:EvKILLED7", None, delivered=True)
        assert spool.flush() == 2
        with store.sessions() as session:
            assert [q.status for q in session.scalars(select(PendingQuestion))] == ["answered"]
        assert _lines(tmp_path) == []
    finally:
        spool.close()
        store.close()
