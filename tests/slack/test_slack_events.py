"""Mentions, DMs and App Home, driven by signed Events API requests; assertions on the Web API calls."""

from __future__ import annotations

import asyncio
import json
import re

from slack_harness import action_ids, serve_app
from slack_requests import app_home_opened, app_mention, direct_message
from sqlalchemy import select

from handlers.common.ids import ActionId
from handlers.runtime.retry_policy import SERVER_ERROR_RETRIES
from icam_bot.questions.models import QuestionLog, UnansweredQuestion


async def test_mention_is_answered_in_the_thread_with_buttons(responder, sqlite_url, questions):
    question = questions.answer

    async with serve_app(responder, sqlite_url) as h:
        assert await h.event(app_mention(question, ts="1700000000.000100")) == 200
        (call,) = await h.fake.wait_for("chat.postMessage")
        assert call.params["channel"] == "C0000CHAN"
        assert call.params["thread_ts"] == "1700000000.000100"
        ids = action_ids(call.params["blocks"])
        assert ids[:2] == [ActionId.HELPFUL, ActionId.NOT_HELPFUL]
        assert ActionId.SHOW_OTHER in ids
        assert ActionId.LOG_ISSUE in ids
        assert call.params["text"]
        with h.store.sessions() as s:
            row = s.scalars(select(QuestionLog)).one()
        assert (row.user_id, row.surface, row.decision) == ("U0000STAFF", "mention", "answer")
        assert row.text == question  # the bot mention is stripped


async def test_mention_in_a_thread_answers_in_that_thread(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        await h.event(app_mention("my piv card is locked", ts="1700000009.000900", thread_ts="1700000000.000001"))
        (call,) = await h.fake.wait_for("chat.postMessage")
        assert call.params["thread_ts"] == "1700000000.000001"


async def test_direct_message_is_answered_in_the_dm(responder, sqlite_url, questions):
    question = questions.answer

    async with serve_app(responder, sqlite_url) as h:
        await h.event(direct_message(question))
        (call,) = await h.fake.wait_for("chat.postMessage")
        assert call.params["channel"] == "D0000DM01"
        assert "thread_ts" not in call.params
        assert ActionId.HELPFUL in json.dumps(call.params["blocks"])


async def test_bot_messages_and_edits_in_dms_are_ignored(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        assert await h.event(direct_message("an answer", bot_id="BOTHER01")) == 200
        assert await h.event(direct_message("edited", subtype="message_changed")) == 200
        await asyncio.sleep(0.3)
        assert h.fake.calls_to("chat.postMessage") == []


async def test_abstain_lists_related_entries_beside_the_offer_to_log(responder, sqlite_url, questions):
    question = questions.abstain_related

    async with serve_app(responder, sqlite_url) as h:
        await h.event(direct_message(question, ts="1700000002.000001", user="U0000STAFF"))
        (call,) = await h.fake.wait_for("chat.postMessage")
        ids = action_ids(call.params["blocks"])
        assert ids[-1] == ActionId.LOG_FOR_PMO
        assert ids[:-1]
        assert all(i.startswith(ActionId.PICK_ENTRY) for i in ids[:-1])
        assert "might be related" in json.dumps(call.params["blocks"])


async def test_abstain_says_so_offers_to_log_and_records_the_gap(responder, sqlite_url, questions):
    question = questions.abstain

    async with serve_app(responder, sqlite_url) as h:
        for ts in ("1700000001.000001", "1700000001.000002"):
            await h.event(direct_message(question, ts=ts, user="U0000STAFF"))
        calls = await h.fake.wait_for("chat.postMessage", 2)
        blocks = calls[0].params["blocks"]
        assert "rather not guess" in blocks[0]["text"]["text"]
        assert action_ids(blocks) == [ActionId.LOG_FOR_PMO]
        await asyncio.sleep(0.1)
        with h.store.sessions() as s:
            gap = s.scalars(select(UnansweredQuestion)).one()
        assert gap.count == 2
        assert gap.normalized == " ".join(re.findall(r"\w+", question.lower()))
        assert gap.asked_by == ["U0000STAFF"]


async def test_redirect_shows_the_pointer_without_a_log_button(responder, sqlite_url, questions):
    question = questions.redirect

    async with serve_app(responder, sqlite_url) as h:
        await h.event(direct_message(question))
        (call,) = await h.fake.wait_for("chat.postMessage")
        assert action_ids(call.params["blocks"]) == []
        assert call.params["text"] != ""


async def test_suggest_offers_close_entries_as_buttons(responder, sqlite_url, questions):
    question = questions.suggest

    async with serve_app(responder, sqlite_url) as h:
        await h.event(direct_message(question))
        (call,) = await h.fake.wait_for("chat.postMessage")
        ids = action_ids(call.params["blocks"])
        picks = [i for i in ids if i.startswith(ActionId.PICK_ENTRY)]
        assert len(picks) >= 2
        assert len(set(picks)) == len(picks)
        assert ActionId.LOG_FOR_PMO in ids


async def test_user_text_echoed_back_never_pings(responder, sqlite_url, questions):
    """Broadcasts and mentions typed by a user never come back live; & < > in echoed text are escaped."""
    question = questions.abstain
    typed = "&lt;!channel&gt; &lt;!here&gt; &lt;@U0000BOSS&gt; R&amp;D &gt; ops: " + question
    # Only a reply that is not an answer echoes the question: if this one is answered, the check below means nothing.
    assert responder.ask(typed).decision != "answer", f"{typed!r} is answered now, so nothing would be echoed"

    async with serve_app(responder, sqlite_url) as h:
        await h.event(direct_message(typed))
        await h.event(app_mention("<!channel> <!here|here> <!everyone> <@U0000BOSS> " + question))
        calls = await h.fake.wait_for("chat.postMessage", 2)
        for call in calls:
            sent = call.texts()
            for ping in ("<!channel>", "<!here", "<!everyone>", "<@U0000BOSS>"):
                assert ping not in sent
        (dm,) = [c for c in calls if c.params["channel"] == "D0000DM01"]
        assert "R&amp;D &gt; ops" in dm.texts()
        assert "&amp;amp;" not in dm.texts()


async def test_app_home_for_staff_shows_recent_questions(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        h.store.log_question(user_id="U0000STAFF", text="<!here> my question", decision="answer", surface="dm")
        await h.event(app_home_opened())
        (call,) = await h.fake.wait_for("views.publish")
        assert call.params["user_id"] == "U0000STAFF"
        view = call.params["view"]
        sent = json.dumps(view)
        assert view["type"] == "home"
        assert "&lt;!here&gt; my question" in sent
        assert "<!here>" not in sent
        assert "ICAM PMO queue" not in sent
        assert "Your ICAM items" in sent


async def test_a_home_tab_slack_failed_to_publish_is_published_at_the_next_open(responder, sqlite_url):
    """App Home is not in the outbox: it is recomputed and published at every open, so a failed publish is
    simply done again (with the current data) the next time the person opens the tab."""
    async with serve_app(responder, sqlite_url) as h:
        h.fake.fail("views.publish", *[500] * (SERVER_ERROR_RETRIES + 1))  # beyond the client's own retries
        await h.event(app_home_opened())
        await wait_for_attempts(h, "views.publish", SERVER_ERROR_RETRIES + 1)
        assert h.fake.calls_to("views.publish") == []
        h.store.log_question(user_id="U0000STAFF", text="asked in between", decision="answer", surface="dm")
        await h.event(app_home_opened())
        (call,) = await h.fake.wait_for("views.publish")
        assert "asked in between" in json.dumps(call.params["view"])


async def wait_for_attempts(h, method: str, count: int, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while len(h.fake.attempts(method)) < count:
        assert asyncio.get_running_loop().time() < deadline, f"expected {count} attempts of {method}"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)  # the listener logs the failure and returns


async def test_app_home_for_pmo_members_shows_top_unanswered(responder, sqlite_url):
    async with serve_app(responder, sqlite_url, pmo_members=frozenset({"U0000PMO1"})) as h:
        h.store.record_unanswered("how do I get a parking permit", "U0000STAFF")
        await h.event(app_home_opened(user="U0000PMO1"))
        (call,) = await h.fake.wait_for("views.publish")
        sent = json.dumps(call.params["view"])
        assert "ICAM PMO queue" in sent
        assert "parking permit" in sent
