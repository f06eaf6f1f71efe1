"""While the database is down: retried events are answered once, questions are answered and logged when it
returns, button clicks get an ack and a clear message (never a 404)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from slack_harness import Harness, serve_app
from slack_requests import block_actions, direct_message
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from handlers.common.blocks import encode_value
from handlers.common.ids import ActionId
from icam_bot.db.models import ProcessedEvent
from icam_bot.questions.models import QuestionLog

DM_CHANNEL = "D0000DM01"
STORE_METHODS = (
    "claim_event",
    "record_events",
    "log_question",
    "record_unanswered",
    "record_feedback",
    "logged_question",
)


def database_down(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every database call the listeners and the answer worker make fails as with PostgreSQL stopped."""

    def down(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    async def down_async(*_args: Any, **_kwargs: Any) -> None:
        down()

    for name in STORE_METHODS:
        monkeypatch.setattr(h.store, name, down)
    monkeypatch.setattr(h.services, "store_question", down_async)
    monkeypatch.setattr(h.services.spool.inbox, "restore", down)


def answers(h: Harness) -> list[Any]:
    return [c for c in h.fake.calls_to("chat.postMessage") if c.params.get("channel") == DM_CHANNEL]


async def spool_written(h: Harness) -> None:
    """The server's question task writes the spool soon after the database is back (it looks every 0.5 s while
    the spool holds records, else every 5 s: the first look after the record was added may take that long)."""
    for _ in range(300):
        if not len(h.services.spool):
            await asyncio.sleep(0.1)  # the last record's transaction is committed
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(h.services.spool)} record(s) still in the spool")


def rows(h: Harness, model: Any) -> list[Any]:
    with h.store.sessions() as session:
        return list(session.scalars(select(model)))


async def test_a_retried_event_is_answered_once_and_recorded_when_the_database_returns(
    responder, database_url, monkeypatch
):
    async with serve_app(responder, database_url) as h:
        database_down(h, monkeypatch)
        assert await h.event(direct_message("what does PACS stand for?"), "EvOUTAGE0001") == 200
        assert await h.event(direct_message("what does PACS stand for?"), "EvOUTAGE0001", retry=1) == 200
        # a redelivery this replica never saw may have been answered by another one: Slack retries it later
        assert await h.event(direct_message("how do I reset my PIV PIN?"), "EvOUTAGE0002", retry=1) == 503
        await asyncio.sleep(0.5)
        assert answers(h) == []  # on disk in the spool: answered from the store when the database returns
        assert rows(h, QuestionLog) == []

        monkeypatch.undo()  # the database is back
        await spool_written(h)
        await h.fake.wait_for("chat.postMessage")
        assert [r.event_id for r in rows(h, ProcessedEvent)] == ["EvOUTAGE0001"]
        for _ in range(100):
            if rows(h, QuestionLog):
                break
            await asyncio.sleep(0.05)
        (logged,) = rows(h, QuestionLog)
        assert (logged.text, logged.surface) == ("what does PACS stand for?", "dm")
        assert await h.event(direct_message("what does PACS stand for?"), "EvOUTAGE0001", retry=2) == 200
        assert await h.event(direct_message("how do I reset my PIV PIN?"), "EvOUTAGE0002", retry=2) == 200
        await h.fake.wait_for("chat.postMessage", 2)
        await asyncio.sleep(0.5)
        assert len(answers(h)) == 2


async def test_a_question_asked_while_the_database_is_down_is_answered_and_logged_later(
    responder, database_url, monkeypatch
):
    async with serve_app(responder, database_url) as h:
        database_down(h, monkeypatch)
        status, _ = await h.command("ask what does PACS stand for?")
        assert status == 200
        assert len(h.services.spool) == 1  # on disk before the ack
        await asyncio.sleep(0.5)
        assert h.fake.calls_to("response_url") == []
        monkeypatch.undo()
        await spool_written(h)
        assert len(h.services.spool) == 0
        await h.fake.wait_for("response_url")
        for _ in range(100):
            if rows(h, QuestionLog):
                break
            await asyncio.sleep(0.05)
        (logged,) = rows(h, QuestionLog)
        assert (logged.text, logged.surface, logged.user_id) == (
            "what does PACS stand for?",
            "command",
            "U0000STAFF",
        )


@pytest.mark.parametrize("action_id", [ActionId.HELPFUL, ActionId.LOG_FOR_PMO, ActionId.LOG_ISSUE])
async def test_a_button_click_while_the_database_is_down_is_acked_with_a_clear_message(
    responder, database_url, monkeypatch, action_id
):
    async with serve_app(responder, database_url) as h:
        database_down(h, monkeypatch)
        value = encode_value(e="glossary-pacs", q=1)
        started = time.monotonic()
        status, _ = await h.interact(block_actions({"action_id": action_id, "value": value}, h.fake.response_url()))
        assert status == 200
        assert time.monotonic() - started < 1.5
        calls = await h.fake.wait_for("response_url")
        assert "database is unavailable" in calls[-1].texts()
