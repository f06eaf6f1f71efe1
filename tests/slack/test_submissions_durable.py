"""Nothing submitted is lost or doubled: the issue form, comments and reasons (item 2 of "Nothing acknowledged
is lost")."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from slack_harness import Harness, posts_to, reply_to, serve_app
from slack_requests import modal_state, view_submission
from sqlalchemy import func, select, text
from test_slack_tracker import CRED_CHANNEL, CRED_OWNER, STAFF, create_item, issue_state, text_value

import handlers.tracker.views
from handlers.common.ids import ActionId, BlockId, CallbackId
from handlers.tracker.modals import ReasonModalMeta
from icam_bot.textclean import clean_text
from icam_bot.tracker.models import TrackerComment, TrackerEvent, TrackerItem


def _count(h: Harness, model: Any, *where: Any) -> int:
    with h.store.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _refuse_titles_containing(h: Harness, word: str) -> None:
    """Make the database refuse (not lose contact over) items whose title contains ``word``."""
    with h.store.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(
                text(
                    f"CREATE TRIGGER refuse_{word} BEFORE INSERT ON tracker_items WHEN NEW.title LIKE '%{word}%' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END"
                )
            )
        else:
            conn.execute(
                text(f"ALTER TABLE tracker_items ADD CONSTRAINT refuse_{word} CHECK (title NOT LIKE '%{word}%')")
            )


def test_clean_text_strips_control_characters_keeps_lines():
    assert clean_text("a\x00b\x07c\r\nd\te\x7f\x85\ud800") == "abc\nd\te"
    assert clean_text("one\ntwo\tthree\x00", multiline=False) == "one two three"


async def test_a_nul_character_is_stripped_and_the_item_saved(responder, database_url):
    async with serve_app(responder, database_url) as h:
        view_state = issue_state(
            **{BlockId.TITLE: text_value("Reader\x00 broken"), BlockId.DESCRIPTION: text_value("NUL \x00 here\x1b")}
        )
        status, body = await h.interact(view_submission(CallbackId.ISSUE_MODAL, view_state, ""))
        assert (status, body) == (200, "")
        item = h.services.tracker.get("ICAM-1", actor=STAFF)
        assert (item.title, item.description) == ("Reader broken", "NUL  here")


async def test_a_refused_write_before_the_ack_shows_on_the_form(responder, database_url):
    async with serve_app(responder, database_url) as h:
        _refuse_titles_containing(h, "forbidden")
        view_state = issue_state(**{BlockId.TITLE: text_value("forbidden title")})
        status, body = await h.interact(view_submission(CallbackId.ISSUE_MODAL, view_state, ""))
        assert status == 200
        error = json.loads(body)["errors"][BlockId.DESCRIPTION]
        assert "Not saved" in error
        assert "still here" in error
        assert _count(h, TrackerItem) == 0


async def test_a_write_failing_after_the_ack_dms_back_the_whole_submission(responder, database_url, monkeypatch):
    monkeypatch.setattr(handlers.tracker.views, "WRITE_BEFORE_ACK_S", 0.0)  # the database is "slow": ack first

    async with serve_app(responder, database_url) as h:
        _refuse_titles_containing(h, "forbidden")
        view_state = issue_state(
            **{
                BlockId.TITLE: text_value("forbidden reader <!channel>"),
                BlockId.DESCRIPTION: text_value("Line one\\nline two & more"),
            }
        )
        status, body = await h.interact(view_submission(CallbackId.ISSUE_MODAL, view_state, ""))
        assert (status, body) == (200, "")
        (dm,) = await h.fake.wait_for("chat.postMessage")
        assert dm.params["channel"] == STAFF
        sent = dm.texts()
        assert "NOT saved" in sent
        for shown in ("forbidden reader &lt;!channel&gt;", "credentialing", "high", "issue", "Office of the CIO"):
            assert shown in sent
        assert "line two &amp; more" in sent
        assert "<!channel>" not in sent


async def test_an_unexpected_error_after_the_ack_still_dms_the_submission(responder, sqlite_url, monkeypatch):
    monkeypatch.setattr(handlers.tracker.views, "WRITE_BEFORE_ACK_S", 0.0)

    async with serve_app(responder, sqlite_url) as h:

        def broken(*_args: Any, **_kwargs: Any) -> None:
            raise RuntimeError("a bug")

        monkeypatch.setattr(h.services.tracker, "create", broken)
        status, _ = await h.interact(view_submission(CallbackId.ISSUE_MODAL, issue_state(), ""))
        assert status == 200
        (dm,) = await h.fake.wait_for("chat.postMessage")
        assert "NOT saved" in dm.texts()
        assert "PIV card locked" in dm.texts()
        assert "My PIV card is locked after too many PIN tries." in dm.texts()


async def test_a_resubmitted_form_confirms_the_stored_item_instead_of_a_duplicate(responder, database_url, monkeypatch):
    # Each submission's write must finish before its ack here: on a loaded machine a write can outlast the 1.5 s
    # budget, and the form then acks empty while the write goes on (tested above), which is not this test's case.
    monkeypatch.setattr(handlers.tracker.views, "WRITE_BEFORE_ACK_S", 10.0)
    async with serve_app(responder, database_url) as h:
        first = view_submission(CallbackId.ISSUE_MODAL, issue_state(), "")
        assert (await h.interact(first))[0] == 200
        status, body = await h.interact(first)  # the same view id: the person pressed Submit again
        assert status == 200
        reply = json.loads(body)
        assert reply["response_action"] == "update"
        assert "ICAM-1" in json.dumps(reply["view"])
        again = view_submission(CallbackId.ISSUE_MODAL, issue_state(), "")
        again["view"]["id"] = "V0000OTHER"  # a second form, same person, same text, same minute
        assert (await h.interact(again))[0] == 200
        assert _count(h, TrackerItem) == 1
        await h.fake.wait_for("chat.postMessage", 3)
        await asyncio.sleep(0.3)
        assert len(posts_to(h, STAFF)) == 1  # one confirmation
        assert len(posts_to(h, CRED_CHANNEL)) == 1  # one triage post
        other = view_submission(CallbackId.ISSUE_MODAL, issue_state(**{BlockId.TITLE: text_value("Another")}), "")
        other["view"]["id"] = "V0000THIRD"
        assert (await h.interact(other))[0] == 200
        assert _count(h, TrackerItem) == 2


async def test_a_repeated_comment_is_stored_once(responder, database_url):
    async with serve_app(responder, database_url) as h:
        create_item(h)
        assert "has your comment" in (await reply_to(h, "comment ICAM-1 still broken"))["text"]
        assert "has your comment" in (await reply_to(h, "comment ICAM-1 still broken"))["text"]
        assert _count(h, TrackerComment) == 1


async def test_a_comment_the_database_refuses_comes_back_with_its_text(responder, database_url):
    async with serve_app(responder, database_url) as h:
        create_item(h)
        with h.store.engine.begin() as conn:
            conn.execute(text("DROP TABLE tracker_comments"))
        reply = await reply_to(h, "comment ICAM-1 the readers in B4 & B5")
        assert "NOT saved" in reply["text"]
        assert "the readers in B4 &amp; B5" in reply["text"]


@pytest.mark.parametrize("action", [ActionId.ITEM_ESCALATE, ActionId.ITEM_RESOLVE])
async def test_a_resubmitted_reason_form_acts_once(responder, database_url, action):
    async with serve_app(responder, database_url) as h:
        create_item(h)
        meta = ReasonModalMeta(action, 1, CRED_CHANNEL, "9.1").dump()
        reason = modal_state(**{BlockId.REASON: text_value("blocking 40 staff")})
        for _ in range(2):
            status, body = await h.interact(view_submission(CallbackId.REASON_MODAL, reason, meta, user=CRED_OWNER))
            assert (status, body) == (200, "")
        done = "escalated" if action == ActionId.ITEM_ESCALATE else "status_changed"
        assert _count(h, TrackerEvent, TrackerEvent.action == done) == 1
