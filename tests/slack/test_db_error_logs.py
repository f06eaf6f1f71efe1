"""A database error while a question is recorded logs the error, never the question's text (PII)."""

from __future__ import annotations

import logging

import pytest
from slack_harness import serve_app
from slack_requests import direct_message
from sqlalchemy import text

from icam_bot.db import make_engine

SECRET = "my SSN is 078-05-1120 and my name is Pat Quincy"


async def test_a_database_error_logs_no_user_text(responder, sqlite_url, caplog: pytest.LogCaptureFixture):
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:  # every insert into the question log now fails inside the database
        conn.execute(
            text("CREATE TRIGGER refuse BEFORE INSERT ON question_log BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
        )
    engine.dispose()

    # With the durable questions the failed record is kept for later and logged as a WARNING (with the database's
    # error), no longer an ERROR: every record from WARNING up must be free of the text.
    with caplog.at_level(logging.DEBUG, logger="sqlalchemy"), caplog.at_level(logging.WARNING):
        async with serve_app(responder, sqlite_url) as h:
            await h.event(direct_message(SECRET))
            await h.fake.wait_for("chat.postMessage")
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("could not record a question" in r.getMessage() for r in errors)
    for record in errors:
        logged = caplog.handler.format(record)
        assert "078-05-1120" not in logged
        assert "Quincy" not in logged
