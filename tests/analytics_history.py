"""A seeded history with known counts for the analytics tests (importable as ``analytics_history``).

``NOW`` is Wednesday 11 March 2026; the current week starts Monday 9 March, the one before Monday 2 March.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert

from icam_bot.programs.severity import Severity
from icam_bot.questions.models import AnswerFeedback, QuestionLog, UnansweredQuestion
from icam_bot.tracker.models import ItemKind, Status, TrackerItem

NOW = dt.datetime(2026, 3, 11, 12, 0, tzinfo=dt.UTC)
WEEK1 = dt.date(2026, 3, 2)
WEEK2 = dt.date(2026, 3, 9)


def at(day: int, hour: int = 10, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


#: (asked at, category, decision); the ids are 1.. in this order.
QUESTIONS: list[tuple[dt.datetime, str | None, str]] = [
    # week 1
    (at(3), "piv", "answer"),  # 1
    (at(3, 11), "piv", "answer"),  # 2
    (at(4), "piv", "answer"),  # 3
    (at(8, 23, 59), "piv", "answer"),  # 4: Sunday 23:59, still week 1
    (at(5), "piv", "suggest"),  # 5
    (at(5, 12), "pacs", "answer"),  # 6
    (at(6), "pacs", "abstain"),  # 7 -> item, resolved 10 h later
    (at(6, 9), None, "abstain"),  # 8 -> item, resolved 30 h later
    (at(7), None, "abstain"),  # 9 -> item, resolved 2 h later
    (at(7, 15), None, "redirect"),  # 10
    # week 2
    (at(9, 0, 30), "piv", "answer"),  # 11: Monday 00:30, week 2
    (at(10), "piv", "answer"),  # 12
    (at(10, 14), None, "abstain"),  # 13 -> item, not resolved
    # before the window of two weeks (in a window of three)
    (at(25, month=2), "piv", "answer"),  # 14
]

#: (created at, category, helpful)
FEEDBACK: list[tuple[dt.datetime, str | None, bool]] = [
    (at(3, 12), "piv", True),
    (at(4, 12), "piv", True),
    (at(5, 12), "piv", False),
    (at(10, 15), "pacs", False),
    (at(25, 12, month=2), "piv", True),  # before the window
]

#: (question id, hours from the question to the item's resolution, or None when open)
ITEMS: list[tuple[int, float | None]] = [(7, 10.0), (8, 30.0), (9, 2.0), (13, None)]

#: (text, count, pmo_requests, last asked)
UNANSWERED: list[tuple[str, int, int, dt.datetime]] = [
    ("how do contractors get a badge", 5, 1, at(10, 14)),
    ('=HYPERLINK("http://x") what is FICAM', 2, 0, at(6, 9)),
    ("who runs the door readers", 1, 2, at(7)),
    ("a question from January", 9, 0, at(15, month=1)),  # before the window
]

#: The counts the two-week window must report.
EXPECTED = {
    (WEEK1, "piv"): {"asked": 5, "answered": 4, "suggested": 1, "helpful": 2, "not_helpful": 1},
    (WEEK1, "pacs"): {"asked": 2, "answered": 1, "declined": 1, "became_items": 1},
    (WEEK1, "uncategorised"): {"asked": 3, "declined": 2, "redirected": 1, "became_items": 2},
    (WEEK2, "piv"): {"asked": 2, "answered": 2},
    (WEEK2, "uncategorised"): {"asked": 1, "declined": 1, "became_items": 1},
    (WEEK2, "pacs"): {"not_helpful": 1},
}
EXPECTED_MEDIAN_HOURS = 10.0


def seed(engine: Engine) -> None:
    """Write the history above (question-log ids 1..14, items from questions 7, 8, 9 and 13)."""
    with engine.begin() as conn:
        conn.execute(
            insert(QuestionLog),
            [
                {
                    "id": i,
                    "user_id": f"U{i:05d}",
                    "channel_id": "C1",
                    "surface": "dm",
                    "text": f"question {i}",
                    "decision": decision,
                    "category": category,
                    "entry_id": None,
                    "score": 0.5,
                    "asked_at": asked,
                }
                for i, (asked, category, decision) in enumerate(QUESTIONS, start=1)
            ],
        )
        conn.execute(
            insert(AnswerFeedback),
            [
                {
                    "entry_id": f"e{i}",
                    "user_id": "U1",
                    "message_ts": str(i),
                    "helpful": helpful,
                    "category": category,
                    "created_at": created,
                    "updated_at": created,
                }
                for i, (created, category, helpful) in enumerate(FEEDBACK)
            ],
        )
        for n, (question_id, hours) in enumerate(ITEMS):
            asked = QUESTIONS[question_id - 1][0]
            created = asked + dt.timedelta(minutes=5)
            resolved = asked + dt.timedelta(hours=hours) if hours is not None else None
            conn.execute(insert(TrackerItem).values(item(n, created, resolved, question_id)))
        conn.execute(
            insert(UnansweredQuestion),
            [
                {
                    "normalized": f"n{i}",
                    "text": text,
                    "count": count,
                    "pmo_requests": pmo,
                    "first_asked_at": last,
                    "last_asked_at": last,
                    "first_asked_by": "U1",
                    "last_asked_by": "U2",
                    "asked_by": ["U1", "U2"],
                }
                for i, (text, count, pmo, last) in enumerate(UNANSWERED)
            ],
        )


def item(n: int, created: dt.datetime, resolved: dt.datetime | None, question_id: int | None) -> dict:
    """The column values of a tracker item (``question_log_id`` the question it came from)."""
    return {
        "kind": ItemKind.QUESTION,
        "title": f"item {n}",
        "description": "from a question",
        "program": "credentialing",
        "severity": Severity.MEDIUM,
        "status": Status.RESOLVED if resolved else Status.NEW,
        "reporter_id": "U00001",
        "first_response_due_at": created + dt.timedelta(days=1),
        "resolution_due_at": created + dt.timedelta(days=5),
        "escalation_level": 0,
        "created_at": created,
        "resolved_at": resolved,
        "updated_at": resolved or created,
        "question_log_id": question_id,
    }
