"""A question that could not be recorded (a brief database failure) can still be logged for the PMO later:
the reply's "log my question" button carries the question, and pressing it records it."""

from __future__ import annotations

import logging

from slack_harness import serve_app
from slack_requests import block_actions, direct_message
from sqlalchemy import select, text

from handlers.common.blocks import decode_value
from handlers.common.ids import ActionId
from icam_bot.db import make_engine
from icam_bot.questions.models import UnansweredQuestion


def _buttons(blocks: list[dict]) -> dict[str, str]:
    return {e["action_id"]: e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]}


def _database_fails(url: str, failing: bool) -> None:
    """Make every write to the question tables fail in the database (or work again)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        for table in ("question_log", "unanswered_questions"):
            if failing:
                conn.execute(
                    text(f"CREATE TRIGGER down_{table} BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'down'); END")
                )
            else:
                conn.execute(text(f"DROP TRIGGER down_{table}"))
    engine.dispose()


async def test_log_my_question_works_after_a_brief_database_failure(responder, sqlite_url, questions, caplog):
    question = questions.abstain

    with caplog.at_level(logging.CRITICAL):
        async with serve_app(responder, sqlite_url) as h:
            _database_fails(sqlite_url, True)
            await h.event(direct_message(question))
            (reply,) = await h.fake.wait_for("chat.postMessage")
            value = _buttons(reply.params["blocks"])[ActionId.LOG_FOR_PMO]
            assert decode_value(value) != {}
            _database_fails(sqlite_url, False)  # the database is back
            press = block_actions({"action_id": ActionId.LOG_FOR_PMO, "value": value}, h.fake.response_url())
            assert (await h.interact(press))[0] == 200
            (call,) = await h.fake.wait_for("response_url")
            assert "Logged for the ICAM PMO" in call.params["text"]
            with h.store.sessions() as s:
                gap = s.scalars(select(UnansweredQuestion)).one()
            assert (gap.text, gap.pmo_requests, gap.last_asked_by) == (question, 1, "U0000STAFF")


def test_a_long_question_still_fits_in_the_button():
    from handlers.answers.blocks import answer_message
    from handlers.common.text import BUTTON_VALUE_LIMIT
    from icam_bot.answers import Reply
    from icam_bot.matching.engine import Decision

    long = 'é<>&\\"' * 400
    reply = Reply(question=long, decision=Decision.ABSTAIN, text="I do not know.", reason="low_score")
    value = _buttons(answer_message(reply, None)["blocks"])[ActionId.LOG_FOR_PMO]
    assert len(value) <= BUTTON_VALUE_LIMIT
    assert long.startswith(decode_value(value)["t"])
