"""Exactly-once events (retries, restarts, two replicas on one DB) and Web API 429/5xx handling."""

from __future__ import annotations

import asyncio
import logging

import pytest
from fake_slack import FakeSlack
from slack_harness import serve_app
from slack_requests import app_mention, direct_message, new_event_id


async def test_retried_event_is_handled_once(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        event_id = new_event_id()
        event = direct_message("what does PACS stand for?")
        assert await h.event(event, event_id) == 200
        assert await h.event(event, event_id, retry=1) == 200
        assert await h.event(event, event_id, retry=2) == 200
        await h.fake.wait_for("chat.postMessage")
        await asyncio.sleep(0.3)
        assert len(h.fake.calls_to("chat.postMessage")) == 1


async def test_retry_after_a_restart_is_still_handled_once(responder, sqlite_url):
    fake = await FakeSlack().start()
    try:
        event_id = new_event_id()
        event = direct_message("what does PACS stand for?")
        async with serve_app(responder, sqlite_url, fake) as first:
            await first.event(event, event_id)
            await fake.wait_for("chat.postMessage")
        async with serve_app(responder, sqlite_url, fake) as restarted:
            assert await restarted.event(event, event_id, retry=1) == 200
            await asyncio.sleep(0.3)
        assert len(fake.calls_to("chat.postMessage")) == 1
    finally:
        await fake.stop()


async def test_two_instances_sharing_a_database_handle_a_retried_event_once(responder, database_url):
    """Slack retries to whichever replica the load balancer picks; both race on the same event id."""

    fake = await FakeSlack().start()
    try:
        async with serve_app(responder, database_url, fake) as a, serve_app(responder, database_url, fake) as b:
            for _round in range(5):
                event_id = new_event_id()
                event = direct_message("what does PACS stand for?")
                statuses = await asyncio.gather(
                    a.event(event, event_id), b.event(event, event_id, retry=1), a.event(event, event_id, retry=2)
                )
                assert statuses == [200, 200, 200]
            await fake.wait_for("chat.postMessage", 5)
            await asyncio.sleep(0.3)
            assert len(fake.calls_to("chat.postMessage")) == 5
    finally:
        await fake.stop()


async def test_rate_limited_post_honours_retry_after_then_succeeds(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        h.fake.fail("chat.postMessage", 429)
        await h.event(direct_message("what does PACS stand for?"))
        await h.fake.wait_for("chat.postMessage", timeout=15)
        attempts = h.fake.attempts("chat.postMessage")
        assert [c.status for c in attempts] == [429, 200]
        assert attempts[0].params["blocks"] == attempts[1].params["blocks"]


async def test_server_errors_are_retried_then_logged_not_lost_silently(responder, sqlite_url, caplog):
    async with serve_app(responder, sqlite_url) as h:
        h.fake.fail("chat.postMessage", 500, 500, 500, 500)
        with caplog.at_level(logging.ERROR, logger="handlers.runtime.sender"):
            await h.event(direct_message("what does PACS stand for?", channel="D0000FAIL"))
            for _ in range(200):
                if any("chat.postMessage failed" in r.getMessage() for r in caplog.records):
                    break
                await asyncio.sleep(0.05)
        assert len(h.fake.attempts("chat.postMessage")) == 3  # first try + 2 retries
        (record,) = [r for r in caplog.records if "chat.postMessage failed" in r.getMessage()]
        assert record.exc_info is not None
        assert "D0000FAIL" in record.getMessage()


async def test_transient_server_error_on_response_url_is_retried(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        h.fake.fail("response_url", 503)
        status, _ = await h.command("ask what does PACS stand for?")
        assert status == 200
        await h.fake.wait_for("response_url")
        assert [c.status for c in h.fake.attempts("response_url")] == [503, 200]


async def test_rate_limited_slash_answer_is_retried_and_counted(responder, sqlite_url):
    """The answer worker replies to response_url with the same retry policy; /metrics counts the retry."""

    async with serve_app(responder, sqlite_url) as h:
        h.fake.fail("response_url", 429)
        status, _ = await h.command("ask what does PACS stand for?", key="rl")
        assert status == 200
        await h.fake.wait_for("response_url", timeout=15)
        attempts = h.fake.attempts("response_url")
        assert [c.status for c in attempts] == [429, 200]
        assert "Physical Access Control System" in attempts[1].texts()
        for _ in range(100):
            if h.services.metrics.slack_api_retries._value.get() >= 1:
                break
            await asyncio.sleep(0.05)
        assert h.services.metrics.slack_api_retries._value.get() == 1
        assert h.services.metrics.questions.labels(decision="answer")._value.get() == 1


async def test_questions_are_turned_away_at_the_ack_when_the_answer_queue_is_full(responder, sqlite_url, monkeypatch):
    from handlers.answers.blocks import BUSY_TEXT
    from handlers.runtime import queue as answer_queue_module

    async with serve_app(responder, sqlite_url) as h:
        monkeypatch.setattr(answer_queue_module, "MAX_PENDING_ANSWERS", 0)
        status, body = await h.command("ask how do I reset my PIV PIN?", key="busy")
        assert status == 200
        assert BUSY_TEXT.split("'")[0] in body
        await asyncio.sleep(0.3)
        assert h.fake.calls_to("response_url") == []
        assert h.store.recent_questions("U0000STAFF") == []
        assert h.services.metrics.questions_turned_away._value.get() == 1


@pytest.mark.parametrize("surface", ["mention", "dm"])
async def test_mentions_and_dms_are_turned_away_when_the_answer_queue_is_full(
    responder, sqlite_url, monkeypatch, surface
):
    from handlers.answers.blocks import BUSY_TEXT
    from handlers.runtime import queue as answer_queue_module

    async with serve_app(responder, sqlite_url) as h:
        monkeypatch.setattr(answer_queue_module, "MAX_PENDING_ANSWERS", 0)
        if surface == "mention":
            event = app_mention("how do I reset my PIV PIN?", ts="1700000000.000100")
        else:
            event = direct_message("how do I reset my PIV PIN?")
        assert await h.event(event) == 200
        (call,) = await h.fake.wait_for("chat.postMessage")
        assert call.params["text"] == BUSY_TEXT
        assert call.params["channel"] == event["channel"]
        if surface == "mention":
            assert call.params["thread_ts"] == "1700000000.000100"
        await asyncio.sleep(0.3)
        assert len(h.fake.calls_to("chat.postMessage")) == 1
        assert h.store.recent_questions("U0000STAFF") == []
        assert h.services.metrics.questions_turned_away._value.get() == 1
