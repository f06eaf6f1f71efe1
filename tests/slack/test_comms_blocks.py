"""The communications builders: composer, preview, announcement, reports, subscription texts (no Slack)."""

from __future__ import annotations

import datetime as dt
import json

from handlers.common.ids import BlockId, CallbackId
from handlers.common.text import MESSAGE_BLOCK_LIMIT, MODAL_TITLE_LIMIT, VIEW_BLOCK_LIMIT
from handlers.comms.blocks import (
    CHANNELS_SHOWN,
    announce_modal,
    announcement_message,
    channel_problems_message,
    delivery_report_message,
    load_preview_metadata,
    preview_modal,
    subscriptions_text,
)
from icam_bot.comms.announcements import AnnouncementDraft, AnnouncementView
from icam_bot.comms.delivery import DeliveryReport
from icam_bot.comms.subscriptions import SubscriptionView

PROGRAMS = [("credentialing", "Credentialing"), ("pacs", "PACS")]
NAMES = dict(PROGRAMS)
WHEN = dt.datetime(2026, 3, 2, 14, tzinfo=dt.UTC)


def announcement(body: str = "Readers down <!here> & more", headline: str | None = "Outage") -> AnnouncementView:
    return AnnouncementView(7, "U0PMO00001", "pacs", headline, body, "draft", WHEN)


def test_the_composer_lists_audiences_with_their_reach_and_keeps_a_draft():
    view = announce_modal(PROGRAMS, {"all": 5, "credentialing": 3}, AnnouncementDraft("pacs", "text", "head"))
    assert view["callback_id"] == CallbackId.ANNOUNCE_MODAL
    for key in ("title", "submit", "close"):
        assert len(view[key]["text"]) <= MODAL_TITLE_LIMIT
    blocks = {b["block_id"]: b for b in view["blocks"]}
    audience = blocks[BlockId.AUDIENCE]["element"]
    assert [o["text"]["text"] for o in audience["options"]] == [
        "All subscribed channels (5)",
        "Credentialing (3 channels)",
        "PACS (0 channels)",
    ]
    assert audience["initial_option"]["value"] == "pacs"
    assert blocks[BlockId.HEADLINE]["element"]["initial_value"] == "head"
    assert blocks[BlockId.BODY]["element"]["initial_value"] == "text"
    fresh = announce_modal(PROGRAMS, {})
    assert {b["block_id"]: b for b in fresh["blocks"]}[BlockId.AUDIENCE]["element"]["initial_option"]["value"] == "all"


def test_the_announcement_escapes_the_text_and_names_its_author_and_audience():
    msg = announcement_message(announcement(), NAMES)
    dumped = json.dumps(msg)
    assert "<!here>" not in dumped
    assert "&lt;!here&gt; &amp; more" in dumped
    assert msg["blocks"][0]["type"] == "header"
    assert "<@U0PMO00001>" in msg["blocks"][-1]["elements"][0]["text"]
    assert "PACS subscribers" in dumped
    assert msg["text"].startswith("ICAM PMO announcement: Outage")
    long = announcement_message(announcement("word " * 600, None), NAMES)  # 3,000 characters
    assert long["blocks"][0]["type"] == "section"
    assert all(len(b["text"]["text"]) <= 3000 for b in long["blocks"] if b["type"] == "section")
    assert len(long["blocks"]) <= MESSAGE_BLOCK_LIMIT


def test_the_preview_shows_the_message_and_where_it_goes():
    channels = [f"C{i:09d}" for i in range(40)]
    view = preview_modal(announcement(), channels, NAMES)
    assert view["callback_id"] == CallbackId.ANNOUNCE_PREVIEW
    assert load_preview_metadata(view["private_metadata"]) == 7
    assert len(view["blocks"]) <= VIEW_BLOCK_LIMIT
    dumped = json.dumps(view)
    assert "Will be posted to 40 channel(s)" in dumped
    assert f"and {40 - CHANNELS_SHOWN} more" in dumped
    assert load_preview_metadata("not json") is None
    assert load_preview_metadata('{"announcement_id": "7"}') is None


def test_reports_explain_each_failure():
    report = DeliveryReport(7, sent=["C1"], failed={"C2": "is_archived", "C3": "ratelimited"}, unsubscribed=["C2"])
    author = json.dumps(delivery_report_message(report))
    assert "posted to 1 of 3 channel(s)" in author
    assert "the channel is archived" in author
    assert "subscription is paused" in author
    assert "Slack refused the message" in author
    pmo = channel_problems_message(report)
    assert pmo["text"].startswith(":warning: Announcement #7 could not be posted to 2 channel(s)")
    empty = delivery_report_message(DeliveryReport(8))
    assert "reached no channel" in empty["text"]


def test_subscription_listing():
    assert subscriptions_text([], NAMES) == "This channel is not subscribed to any announcements."
    subs = [
        SubscriptionView("C1", "all", "U1", WHEN, None),
        SubscriptionView("C1", "pacs", "U2", WHEN, "not_in_channel"),
    ]
    text = subscriptions_text(subs, NAMES)
    assert "all ICAM PMO announcements (by <@U1>)" in text
    assert "PACS announcements (by <@U2>) — *paused* (`not_in_channel`)" in text
