"""The weekly digest's data from a real database, and its plain-text and Slack renderings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from fake_clock import Clock
from sqlalchemy import update
from tracker_support import new_item

from handlers.common.text import MESSAGE_BLOCK_LIMIT, SECTION_TEXT_LIMIT
from handlers.comms.digest_blocks import digest_message
from icam_bot.comms.digest_text import digest_text
from icam_bot.comms.runs import DigestRuns
from icam_bot.comms.schedule import DigestSchedule
from icam_bot.comms.scheduler import DigestComposer
from icam_bot.knowledge.model import Entry
from icam_bot.programs.routing import load_programs
from icam_bot.questions.models import UnansweredQuestion
from icam_bot.questions.store import Store
from icam_bot.tracker.service import TrackerService
from icam_bot.tracker.sweeper import Sweeper

SCHEDULE = DigestSchedule(0, dt.time(9, 0), "America/New_York")
DUE = dt.datetime(2026, 3, 9, 13, 0, tzinfo=dt.UTC)  # Monday 9 March 09:00 EDT: the week of 2 to 9 March
WEEK_START = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)


def entry(entry_id: str, reviewed: dt.date, review_days: int = 180) -> Entry:
    return Entry(
        id=entry_id,
        question=f"Question {entry_id} <!channel>?",
        alternates=(),
        answer="An answer.",
        category="credentialing",
        tags=(),
        references=(),
        owner="credentialing",
        last_reviewed=reviewed,
        review_days=review_days,
    )


ENTRIES = [
    entry("fresh", dt.date(2026, 3, 1)),
    entry("overdue", dt.date(2025, 6, 1)),  # due 2025-11-28
    entry("due-next-week", dt.date(2025, 9, 12)),  # due 2026-03-11, before 16 March
    entry("due-later", dt.date(2025, 9, 30)),  # due 2026-03-29
]


@pytest.fixture
def week(engine):
    """One week of activity: three items opened, one resolved, one escalated by the sweeper, questions asked."""
    clock = Clock(WEEK_START - dt.timedelta(days=1))
    programs = load_programs()
    tracker = TrackerService(engine, programs, clock=clock)
    tracker.create(new_item(title="Opened before the week"))
    clock.now = WEEK_START + dt.timedelta(hours=1)
    first = tracker.create(new_item(title="Badge <@U0EVIL> reader down", severity="critical")).item.ref
    second = tracker.create(new_item(title="PIN reset kiosk", program="pacs", severity="low")).item.ref
    clock.advance(hours=2)
    tracker.resolve(second, "kiosk rebooted", actor=programs.program("pacs").primary_owner)
    clock.advance(days=1)  # the critical item's first-response SLA (1 working hour) is long gone
    Sweeper(engine, programs, clock=clock).sweep_once()
    clock.now = DUE + dt.timedelta(minutes=5)
    tracker.create(new_item(title="Opened after the digest was due"))
    store = Store(engine)
    store.record_unanswered("Can I use my PIV card abroad?", "U1")
    store.record_unanswered("can i use my piv card abroad", "U2")
    store.record_unanswered("Old question", "U3")
    with store.sessions.begin() as session:
        session.execute(update(UnansweredQuestion).values(last_asked_at=WEEK_START + dt.timedelta(days=2)))
        session.execute(
            update(UnansweredQuestion)
            .where(UnansweredQuestion.text == "Old question")
            .values(last_asked_at=WEEK_START - dt.timedelta(days=3))
        )
    return first, second


def compose(engine, entries=ENTRIES):
    return DigestComposer.create(engine, load_programs(), lambda: entries, SCHEDULE).compose(SCHEDULE.period(DUE))


def test_the_digest_counts_the_week_only(engine, week):
    first, second = week
    digest = compose(engine)
    assert digest.period.key == "2026-W11"
    assert digest.opened_count == 2
    assert [i.ref for i in digest.opened] == [first, second]
    assert digest.resolved_count == 1
    assert [i.ref for i in digest.resolved] == [second]
    assert digest.breach_count == 2  # the critical item and the one opened the week before
    assert {b.ref for b in digest.breaches} == {"ICAM-1", first}
    assert digest.open_now == 2  # the item opened after the due time is not counted
    assert digest.overdue_now == 2
    assert [q.text for q in digest.unanswered] == ["can i use my piv card abroad"]
    assert digest.unanswered[0].count == 2
    assert digest.entries_added is None  # no earlier digest: no baseline, no guess
    assert [e.id for e in digest.entries_due] == ["overdue", "due-next-week"]
    assert digest.board is not None
    assert {p.slug for p in digest.board.programs} >= {"credentialing", "pacs"}


def test_entries_added_are_those_the_previous_sent_digest_did_not_record(engine):
    runs = DigestRuns(engine)
    runs.claim("2026-W10", "a")
    runs.mark_sent("2026-W10", "a", entry_ids=["fresh", "overdue"])
    digest = compose(engine)
    assert [e.id for e in digest.entries_added] == ["due-next-week", "due-later"]
    assert digest.entry_ids == ("due-later", "due-next-week", "fresh", "overdue")


def test_plain_text_has_every_section(engine, week):
    text = digest_text(compose(engine))
    for heading in (
        "ICAM PMO weekly digest 2026-W11",
        "STATUS BOARD",
        "ITEMS OPENED THIS WEEK: 2",
        "ITEMS RESOLVED THIS WEEK: 1",
        "SLA BREACHES THIS WEEK: 2",
        "TOP UNANSWERED QUESTIONS THIS WEEK: 1",
        "KNOWLEDGE ENTRIES ADDED: no earlier digest",
        "KNOWLEDGE ENTRIES DUE FOR REVIEW (by the end of next week): 2",
    ):
        assert heading in text
    assert "Credentialing (PIV / derived credentials): not rated" in text


def test_the_slack_digest_escapes_user_text_and_fits_slacks_limits(engine, week):
    msg = digest_message(compose(engine))
    assert len(msg["blocks"]) <= MESSAGE_BLOCK_LIMIT
    dumped = json.dumps(msg)
    assert "<@U0EVIL>" not in dumped
    assert "&lt;@U0EVIL&gt;" in dumped
    assert "<!channel>" not in dumped
    for block in msg["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_TEXT_LIMIT
    assert msg["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "ICAM PMO weekly digest 2026-W11", "emoji": True},
    }
    assert "*Status board*" in dumped


def test_a_board_failure_leaves_a_clearly_marked_section_and_the_rest(engine, week):
    digest = dataclasses.replace(compose(engine), board=None)
    assert "The status board is unavailable." in digest_text(digest)
    assert "_The status board is unavailable._" in json.dumps(digest_message(digest))
    assert "ITEMS OPENED THIS WEEK: 2" in digest_text(digest)


def test_a_huge_week_still_fits_one_message(engine):
    many = [entry(f"e{i:03d}-" + "x" * 100, dt.date(2024, 1, 1)) for i in range(300)]
    msg = digest_message(compose(engine, many))
    assert len(msg["blocks"]) <= MESSAGE_BLOCK_LIMIT
    assert "… and 290 more" in json.dumps(msg, ensure_ascii=False)
