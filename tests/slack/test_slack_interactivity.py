"""Slash command, buttons, the message shortcut and views: signed interactivity requests in, calls out."""

from __future__ import annotations

import asyncio
import json
import time

from slack_harness import serve_app
from slack_requests import block_actions, message_shortcut, view_submission
from sqlalchemy import select

from handlers.common.blocks import encode_value
from handlers.common.ids import ActionId, CallbackId
from handlers.slash.subcommands import HELP_LINES
from icam_bot.questions.models import AnswerFeedback, UnansweredQuestion


async def test_slash_ask_acks_before_the_answer_is_produced(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        h.fake.delays["response_url"] = 1.5  # slow delivery must not delay the ack
        started = time.monotonic()
        status, _body = await h.command("ask how do I reset my PIV PIN?")
        acked = time.monotonic() - started
        assert status == 200
        assert acked < 1.0, f"ack took {acked:.2f}s"
        (call,) = await h.fake.wait_for("response_url")
        assert call.path == "/response/cmd"
        assert call.params["response_type"] == "ephemeral"
        assert any(b["type"] == "actions" for b in call.params["blocks"])


async def test_slash_help_lists_every_subcommand_with_an_example(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        for text in ("help", ""):
            status, body = await h.command(text)
            assert status == 200
            reply = json.loads(body)
            for usage, _what, example in HELP_LINES:
                assert f"/icam {usage.split()[0]}" in reply["text"]
                assert f"/icam {example}" in reply["text"]


async def test_text_that_is_not_a_subcommand_is_a_question(responder, sqlite_url):
    """`/icam my PIV card is locked` is asked like `/icam ask my PIV card is locked`; help stays on `help`."""

    async with serve_app(responder, sqlite_url) as h:
        status, body = await h.command("my PIV card is locked", key="bare")
        assert status == 200
        assert "subcommand" not in body
        (call,) = await h.fake.wait_for("response_url")
        assert call.path == "/response/bare"
        assert any(b["type"] == "actions" for b in call.params["blocks"])
        (logged,) = h.store.recent_questions("U0000STAFF")
        assert logged.text == "my PIV card is locked"
        _status, body = await h.command("frobnicate <!channel>", key="other")
        assert "I don't know the subcommand" not in body
        calls = await h.fake.wait_for("response_url", count=2)
        assert "<!channel>" not in calls[1].texts()


async def test_slash_ask_without_a_question_explains_usage(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        status, body = await h.command("ask")
        assert status == 200
        assert "Give me a question" in json.loads(body)["text"]


async def test_helpful_and_not_helpful_are_recorded_per_entry(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        value = encode_value(e="glossary-pacs", q=None)
        url = h.fake.response_url("fb")
        status, _ = await h.interact(block_actions({"action_id": ActionId.HELPFUL, "value": value}, url))
        assert status == 200
        await h.fake.wait_for("response_url")
        await h.interact(block_actions({"action_id": ActionId.NOT_HELPFUL, "value": value}, url, user="U0000OTH2"))
        await h.fake.wait_for("response_url", 2)
        with h.store.sessions() as s:
            votes = {(f.user_id, f.helpful) for f in s.scalars(select(AnswerFeedback))}
        assert votes == {("U0000STAFF", True), ("U0000OTH2", False)}
        assert h.store.feedback_counts("glossary-pacs") == (1, 1)
        assert h.fake.calls_to("response_url")[0].params["replace_original"] is False


async def test_show_other_matches_offers_them_as_buttons(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        value = encode_value(ids="pacs-what-is-pacs,glossary-e-pacs", q=1)
        await h.interact(block_actions({"action_id": ActionId.SHOW_OTHER, "value": value}, h.fake.response_url()))
        (call,) = await h.fake.wait_for("response_url")
        buttons = [e for b in call.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert [json.loads(b["value"])["e"] for b in buttons] == ["pacs-what-is-pacs", "glossary-e-pacs"]


async def test_picking_a_suggestion_posts_its_answer_in_the_thread(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        value = encode_value(e="pacs-what-is-pacs", q=None)
        action = {"action_id": f"{ActionId.PICK_ENTRY}_1", "value": value}
        await h.interact(
            block_actions(action, h.fake.response_url(), message_ts="1700000010.000001", thread_ts="1700000000.000100")
        )
        (call,) = await h.fake.wait_for("chat.postMessage")
        assert call.params["channel"] == "C0000CHAN"
        assert call.params["thread_ts"] == "1700000000.000100"
        assert ActionId.HELPFUL in json.dumps(call.params["blocks"])


async def test_picking_from_an_ephemeral_reply_replaces_it(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        action = {"action_id": f"{ActionId.PICK_ENTRY}_0", "value": encode_value(e="glossary-pacs")}
        await h.interact(block_actions(action, h.fake.response_url(), ephemeral=True))
        (call,) = await h.fake.wait_for("response_url")
        assert call.params["replace_original"] is True
        assert h.fake.calls_to("chat.postMessage") == []


def logged_locked_pin_question(h) -> str:
    """A logged "my PIV card is locked" question answered with the locked-PIN entry, as its buttons' value."""
    log_id = h.store.log_question(
        user_id="U0000STAFF",
        text="my PIV card is locked again",
        decision="answer",
        surface="dm",
        entry_id="help-piv-locked-too-many-pins",
    )
    return encode_value(q=log_id, e="help-piv-locked-too-many-pins")


async def test_log_for_pmo_logs_the_question_with_a_permalink(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        value = logged_locked_pin_question(h)
        status, _ = await h.interact(
            block_actions({"action_id": ActionId.LOG_FOR_PMO, "value": value}, h.fake.response_url())
        )
        assert status == 200
        (call,) = await h.fake.wait_for("response_url")
        assert "Logged for the ICAM PMO" in call.params["text"]
        assert h.fake.calls_to("chat.getPermalink")[0].params["channel"] == "C0000CHAN"
        await asyncio.sleep(0.1)
        with h.store.sessions() as s:
            gap = s.scalars(select(UnansweredQuestion)).one()
        assert gap.pmo_requests == 1
        assert gap.last_permalink.startswith("https://example.slack.com/archives/C0000CHAN/")


async def test_log_this_as_an_issue_opens_the_modal_and_still_logs_the_question(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        value = logged_locked_pin_question(h)
        status, _ = await h.interact(
            block_actions({"action_id": ActionId.LOG_ISSUE, "value": value}, h.fake.response_url())
        )
        assert status == 200
        (call,) = await h.fake.wait_for("views.open")
        view = call.params["view"]
        assert call.params["trigger_id"] == "1337.42.abcdef"
        assert view["callback_id"] == CallbackId.ISSUE_MODAL
        assert "my PIV card is locked again" in json.dumps(view)
        assert "https://example.slack.com/archives/C0000CHAN/" in view["private_metadata"]
        await asyncio.sleep(0.1)
        with h.store.sessions() as s:
            gap = s.scalars(select(UnansweredQuestion)).one()
        assert gap.pmo_requests == 1
        assert h.fake.calls_to("response_url") == []


async def test_send_to_pmo_shortcut_opens_the_prefilled_modal_and_logs_message_and_permalink(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        payload = message_shortcut(
            "Our badge readers on floor 3 reject &lt;new&gt; cards",
            h.fake.response_url("sc"),
            callback_id=CallbackId.SEND_TO_PMO,
        )
        started = time.monotonic()
        status, _ = await h.interact(payload)
        assert status == 200
        assert time.monotonic() - started < 1.0
        (call,) = await h.fake.wait_for("views.open")
        view = call.params["view"]
        description = next(b for b in view["blocks"] if b.get("block_id") == "description")
        assert description["element"]["initial_value"] == "Our badge readers on floor 3 reject <new> cards"
        assert "p1700000005000600" in view["private_metadata"]
        await asyncio.sleep(0.1)
        with h.store.sessions() as s:
            gap = s.scalars(select(UnansweredQuestion)).one()
        assert gap.text == "Our badge readers on floor 3 reject <new> cards"
        assert gap.pmo_requests == 1
        assert gap.last_permalink == "https://example.slack.com/archives/C0000CHAN/p1700000005000600"


async def test_unknown_view_submission_gets_a_4xx_not_a_5xx(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        status, _ = await h.interact(view_submission("no_such_view"))
        assert 400 <= status < 500
