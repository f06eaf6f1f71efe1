"""Subscriptions, announcement drafts (Slack's limits), the confirm-once transition and the delivery loop."""

from __future__ import annotations

import datetime as dt

import pytest
from fake_clock import Clock
from sqlalchemy import update

from icam_bot.comms.announcements import (
    BODY_LIMIT,
    HEADLINE_LIMIT,
    AnnouncementDraft,
    AnnouncementError,
    AnnouncementService,
    validate_draft,
)
from icam_bot.comms.models import ALL_PROGRAMS
from icam_bot.comms.outbox import POST_TOPIC, settle_hook
from icam_bot.comms.subscriptions import Subscribed, SubscriptionService
from icam_bot.outbox.models import OutboxMessage
from icam_bot.outbox.service import OutboxService, Outcome

PROGRAMS = ("credentialing", "pacs")
PMO = "U0EXAMPLEPM1"


def test_subscribe_is_idempotent_and_unsubscribe_removes(engine):
    subs = SubscriptionService(engine, Clock())
    assert subs.subscribe("C1", ALL_PROGRAMS, "U1") is Subscribed.NEW
    assert subs.subscribe("C1", ALL_PROGRAMS, "U2") is Subscribed.ALREADY
    assert subs.subscribe("C1", "pacs", "U1") is Subscribed.NEW
    assert [s.program for s in subs.of_channel("C1")] == ["all", "pacs"]
    assert subs.unsubscribe("C1", "pacs") == ["pacs"]
    assert subs.unsubscribe("C1", "pacs") == []
    assert subs.unsubscribe("C1") == ["all"]
    assert subs.of_channel("C1") == []


def test_audience_and_reach(engine):
    subs = SubscriptionService(engine, Clock())
    subs.subscribe("C_ALL", ALL_PROGRAMS, "U1")
    subs.subscribe("C_CRED", "credentialing", "U1")
    subs.subscribe("C_BOTH", "credentialing", "U1")
    subs.subscribe("C_BOTH", "pacs", "U1")
    assert subs.audience(ALL_PROGRAMS) == ["C_ALL", "C_BOTH", "C_CRED"]  # each channel once
    assert subs.audience("credentialing") == ["C_ALL", "C_BOTH", "C_CRED"]
    assert subs.audience("pacs") == ["C_ALL", "C_BOTH"]
    assert subs.reach(PROGRAMS) == {"all": 3, "credentialing": 3, "pacs": 2}


def test_a_disabled_channel_is_left_out_until_subscribed_again(engine):
    subs = SubscriptionService(engine, Clock())
    subs.subscribe("C1", ALL_PROGRAMS, "U1")
    subs.subscribe("C2", ALL_PROGRAMS, "U1")
    assert subs.disable(["C1"], "is_archived") == 1
    assert subs.audience(ALL_PROGRAMS) == ["C2"]
    assert subs.of_channel("C1")[0].disabled_reason == "is_archived"
    assert subs.subscribe("C1", ALL_PROGRAMS, "U3") is Subscribed.REACTIVATED
    assert subs.audience(ALL_PROGRAMS) == ["C1", "C2"]


def test_drafts_over_slacks_limits_are_refused_with_every_problem_named():
    with pytest.raises(AnnouncementError) as info:
        validate_draft(AnnouncementDraft("nowhere", "x" * (BODY_LIMIT + 1), "h" * (HEADLINE_LIMIT + 1)), PROGRAMS)
    errors = info.value.errors
    assert set(errors) == {"audience", "headline", "body"}
    assert "3,001 characters" in errors["body"]
    assert "Shorten it by 1" in errors["body"]
    assert f"{HEADLINE_LIMIT + 1} characters" in errors["headline"]
    with pytest.raises(AnnouncementError, match="empty"):
        validate_draft(AnnouncementDraft(ALL_PROGRAMS, "   \n "), PROGRAMS)
    ok = validate_draft(AnnouncementDraft("pacs", "  x" * 10 + "  ", "  Heads up  "), PROGRAMS)
    assert (ok.body, ok.headline) == (("  x" * 10).strip(), "Heads up")
    assert validate_draft(AnnouncementDraft(ALL_PROGRAMS, "y" * BODY_LIMIT), PROGRAMS).body == "y" * BODY_LIMIT


def test_a_draft_is_confirmed_once_and_only_by_its_author(engine):
    announcements = AnnouncementService(engine, Clock())
    draft = announcements.save_draft(PMO, AnnouncementDraft(ALL_PROGRAMS, "Readers down Friday"))
    assert draft.status == "draft"
    assert announcements.confirm(draft.id, "U0SOMEONE") is None
    confirmed = announcements.confirm(draft.id, PMO)
    assert confirmed is not None
    assert confirmed.status == "sending"
    assert announcements.confirm(draft.id, PMO) is None  # a second click sends nothing


def test_confirming_owes_one_post_per_channel_records_each_and_reports_once(engine):
    """The outbox way: rows written with the confirmation; each outcome recorded as its row settles; the last
    settled row finishes the announcement and owes the author's report (and the PMO channel's) exactly once."""
    clock = Clock()
    subs = SubscriptionService(engine, clock)
    announcements = AnnouncementService(engine, clock)
    for channel in ("C1", "C2", "C3", "C4"):
        subs.subscribe(channel, ALL_PROGRAMS, "U1")
    draft = announcements.save_draft(PMO, AnnouncementDraft(ALL_PROGRAMS, "Hello"))
    confirmed = announcements.confirm(draft.id, PMO)
    assert announcements.confirm(draft.id, PMO) is None  # a second click owes nothing more
    outbox = OutboxService(engine, "replica-a", hooks={POST_TOPIC: settle_hook("C0PMO")})
    rows = outbox.claim()
    assert sorted(r.recipient for r in rows) == ["C1", "C2", "C3", "C4"]
    assert {r.topic for r in rows} == {POST_TOPIC}
    outcomes = {
        "C1": Outcome(ts="1.1"),
        "C2": Outcome(error="not_in_channel"),
        "C3": Outcome(error="request_failed", retry=True),
        "C4": Outcome(ts="4.4"),
    }
    for row in rows:
        assert outbox.settle(row, outcomes[row.recipient])
    assert subs.audience(ALL_PROGRAMS) == ["C1", "C3", "C4"]  # a transient failure does not unsubscribe
    assert announcements.get(confirmed.id).status == "sending"  # C3 is still owed (retried later)
    assert outbox.claim() == []  # not due yet: backoff
    with engine.begin() as conn:
        conn.execute(update(OutboxMessage).values(next_attempt_at=clock.now - dt.timedelta(days=1000)))
    (again,) = outbox.claim()
    assert (again.recipient, again.attempts) == ("C3", 2)
    assert outbox.settle(again, Outcome(error="channel_not_found"))
    rows = {d.channel_id: (d.status, d.message_ts, d.error) for d in announcements.deliveries(confirmed.id)}
    assert rows == {
        "C1": ("sent", "1.1", None),
        "C2": ("failed", None, "not_in_channel"),
        "C3": ("failed", None, "channel_not_found"),
        "C4": ("sent", "4.4", None),
    }
    assert announcements.get(confirmed.id).status == "sent"
    reports = outbox.claim()
    assert sorted(r.recipient for r in reports) == ["C0PMO", PMO]
    author = next(r for r in reports if r.recipient == PMO)
    assert author.payload["sent"] == ["C1", "C4"]
    assert set(author.payload["failed"]) == {"C2", "C3"}
