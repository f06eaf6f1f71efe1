"""The answer report against a seeded history with known counts, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from analytics_history import EXPECTED, EXPECTED_MEDIAN_HOURS, NOW, WEEK1, WEEK2, seed
from sqlalchemy import Engine, event, func, select

from icam_bot.analytics.period import Window
from icam_bot.analytics.report import AnswerAnalytics, Counts, compute_report
from icam_bot.db.session import make_session_factory
from icam_bot.records.models import AccessEvent

PMO = "U0EXAMPLEPM1"


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed(engine)
    return engine


def test_window_weeks_start_on_monday() -> None:
    window = Window.last_weeks(NOW, 2)
    assert window.start == dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    assert window.weeks == [WEEK1, WEEK2]
    assert Window.since(dt.date(2026, 3, 4), NOW).start == window.start
    with pytest.raises(ValueError, match="weeks must be"):
        Window.last_weeks(NOW, 0)
    with pytest.raises(ValueError, match="in the future"):
        Window.since(dt.date(2026, 4, 1), NOW)


def test_counts_per_week_and_category(seeded: Engine) -> None:
    with make_session_factory(seeded)() as session:
        report = compute_report(session, Window.last_weeks(NOW, 2), with_text=True)
    got = {(r.week, r.category): r.counts for r in report.rows}
    assert got == {key: Counts(**values) for key, values in EXPECTED.items()}
    assert report.total == Counts(13, 7, 1, 4, 1, 2, 2, 4)
    weekly = report.by_week()
    assert list(weekly) == [WEEK1, WEEK2]
    assert (weekly[WEEK1].asked, weekly[WEEK1].answered, weekly[WEEK2].asked) == (10, 5, 3)
    assert list(report.by_category()) == ["piv", "uncategorised", "pacs"]
    assert report.median_hours_to_answer == EXPECTED_MEDIAN_HOURS
    assert report.answered_items == 3


def test_a_wider_window_takes_in_earlier_weeks(seeded: Engine) -> None:
    with make_session_factory(seeded)() as session:
        report = compute_report(session, Window.last_weeks(NOW, 3), with_text=False)
    assert report.total.asked == 14
    assert report.total.helpful == 3
    assert report.by_week()[dt.date(2026, 2, 23)].answered == 1


def test_an_even_sample_has_the_mean_of_its_middle_pair(seeded: Engine) -> None:
    since_week2 = Window(dt.datetime(2026, 3, 7, 0, tzinfo=dt.UTC), NOW)  # resolutions of items 8 (30 h), 9 (2 h)
    with make_session_factory(seeded)() as session:
        report = compute_report(session, since_week2, with_text=False)
    assert (report.median_hours_to_answer, report.answered_items) == (16.0, 2)


def test_top_unanswered_topics_text_for_pmo_only_and_the_read_recorded(seeded: Engine, programs) -> None:
    sessions = make_session_factory(seeded)
    analytics = AnswerAnalytics(sessions, programs.is_pmo, lambda: NOW)
    window = Window.last_weeks(NOW, 2)

    staff = analytics.report(actor="U0STAFF", window=window)
    assert not staff.text_shown
    assert [(t.text, t.asked, t.pmo_requests) for t in staff.topics] == [(None, 5, 1), (None, 1, 2), (None, 2, 0)]
    assert (staff.unanswered_topics, staff.unanswered_asks) == (3, 11)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(AccessEvent)) == 0

    pmo = analytics.report(actor=PMO, window=window)
    assert pmo.text_shown
    assert [t.text for t in pmo.topics][:2] == ["how do contractors get a badge", "who runs the door readers"]
    with sessions() as session:
        events = session.scalars(select(AccessEvent)).all()
    assert [(e.actor_id, e.action, e.target, e.outcome) for e in events] == [
        (PMO, "analytics", "unanswered topics", "allowed")
    ]


def test_the_counts_are_grouped_in_the_database(seeded: Engine) -> None:
    """Every query returns grouped rows: no statement hands back the question log row by row."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(seeded, "before_cursor_execute", record)
    try:
        with make_session_factory(seeded)() as session:
            compute_report(session, Window.last_weeks(NOW, 2), with_text=False)
    finally:
        event.remove(seeded, "before_cursor_execute", record)
    reads = [s for s in statements if "question_log" in s or "answer_feedback" in s]
    assert len(reads) == 5  # questions, feedback, items; the median: its count and its middle
    for statement in reads:  # grouped, or one aggregate row over a subquery (the median's count and middle)
        assert "GROUP BY" in statement or statement.lower().startswith(("select count(", "select avg(")), statement
