"""The digest's "questions this week" over the seeded history, in the digest's own week (not whole ISO weeks)."""

from __future__ import annotations

import datetime as dt

from analytics_history import seed
from sqlalchemy import Engine

from icam_bot.comms.digest import build_digest
from icam_bot.comms.digest_text import digest_text
from icam_bot.comms.schedule import DigestPeriod
from icam_bot.db.session import make_session_factory

END = dt.datetime(2026, 3, 9, 14, 0, tzinfo=dt.UTC)
PERIOD = DigestPeriod("2026-W11", END, END - dt.timedelta(days=7), END)


def test_the_digest_counts_the_weeks_questions(engine: Engine) -> None:
    seed(engine)
    with make_session_factory(engine)() as session:
        digest = build_digest(session, PERIOD, tz="UTC", entries=[], previous_entry_ids=None)
    answers = digest.answers
    assert answers is not None
    assert not answers.text_shown
    # questions 1-10 (2 to 8 March) and 11 (9 March 00:30); 12 and 13 come after the digest's end
    assert (answers.total.asked, answers.total.answered, answers.total.declined) == (11, 6, 3)
    assert (answers.total.helpful, answers.total.not_helpful, answers.total.became_items) == (2, 1, 3)
    assert answers.median_hours_to_answer == 10.0
    text = digest_text(digest)
    assert "QUESTIONS THIS WEEK\n  11 asked · 6 answered (55%) · 1 suggested · 3 declined · 1 redirected\n" in text
    assert "  By category: piv 6 (5 answered), uncategorised 3 (0 answered), pacs 2 (1 answered)\n" in text
