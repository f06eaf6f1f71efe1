"""icam_bot.logs: JSON lines, context fields across tasks and threads, and secret redaction."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging

import pytest

from icam_bot.logs import (
    MASK,
    JsonFormatter,
    RedactFilter,
    Redactor,
    bind,
    context_fields,
    log_context,
    logging_configured,
    unbind,
)

SECRET = "8f14e45fceea167a5a36dedd4bea2543"


@pytest.fixture
def json_log():
    """The root logger writing JSON lines into a buffer (restored afterwards); returns a reader."""
    stream = io.StringIO()
    with logging_configured("DEBUG", "json", [SECRET], stream=stream):
        yield lambda: [
            line for line in map(json.loads, stream.getvalue().splitlines()) if line["logger"] == "icam.test"
        ]


def test_a_line_is_one_json_object_with_utc_time_level_logger_and_message(json_log):
    logging.getLogger("icam.test").info("hello %s", "world")
    (line,) = json_log()
    assert line["msg"] == "hello world"
    assert (line["level"], line["logger"]) == ("INFO", "icam.test")
    assert line["ts"].endswith("Z")
    stamp = dt.datetime.fromisoformat(line["ts"].replace("Z", "+00:00"))
    assert abs((dt.datetime.now(dt.UTC) - stamp).total_seconds()) < 60


def test_an_exception_is_one_field_on_the_same_line(json_log):
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("icam.test").exception("failed")
    (line,) = json_log()
    assert line["msg"] == "failed"
    assert "Traceback" in line["exc"]
    assert "RuntimeError: boom" in line["exc"]


def test_context_fields_and_extras_are_written(json_log):
    log = logging.getLogger("icam.test")
    with log_context(request_id="r-1", user="U123", item_id=7, command=None):
        log.info("inside", extra={"duration_ms": 12.5})
    log.info("outside")
    inside, outside = json_log()
    assert (inside["request_id"], inside["user"], inside["item_id"], inside["duration_ms"]) == ("r-1", "U123", 7, 12.5)
    assert "command" not in inside  # None is not bound
    assert "request_id" not in outside


async def test_context_reaches_tasks_and_threads_created_inside_it(json_log):
    log = logging.getLogger("icam.test")

    token = bind(request_id="r-2", event_id="Ev1")
    task = asyncio.create_task(asyncio.sleep(0, result=None))
    await task
    await asyncio.to_thread(log.info, "from a thread")
    await asyncio.create_task(_log_later(log))
    unbind(token)
    assert context_fields() == {}
    thread_line, task_line = json_log()
    assert thread_line["request_id"] == task_line["request_id"] == "r-2"
    assert task_line["event_id"] == "Ev1"


async def _log_later(log: logging.Logger) -> None:
    await asyncio.sleep(0)
    log.info("from a task")


@pytest.mark.parametrize(
    "token",
    [
        "xoxb-12345-67890-AbCdEfGhIj",
        "xoxp-1-2-3-abcdef",
        "xapp-1-A0123-456-abcdef0123",
        "xoxa-2-abc",
        "xoxe.xoxp-1-Mi0yLTM0",
        "xoxe-1-abcdef",
    ],
)
def test_slack_tokens_are_masked_in_messages_args_and_exceptions(json_log, token):
    log = logging.getLogger("icam.test")
    log.warning("token in message %s", token)
    log.warning("token %s in args", token)
    try:
        raise ValueError(f"bad auth {token}")
    except ValueError:
        log.exception("failed with %r", {"auth": token})
    text = json.dumps(json_log())
    assert token not in text
    assert text.count(MASK) == 4


def test_the_configured_secret_is_masked_and_short_values_are_not(json_log):
    logging.getLogger("icam.test").info("signing with %s (s)", SECRET)
    (line,) = json_log()
    assert line["msg"] == f"signing with {MASK} (s)"


def test_redaction_applies_for_every_handler_after_the_filter():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s and %d", ("xoxb-1-secret", 3), None)
    RedactFilter(Redactor()).filter(record)
    assert record.getMessage() == f"xoxb-{MASK} and 3"
    assert JsonFormatter().format(record).count(MASK) == 1


def test_text_format_keeps_the_human_layout_with_context():
    stream = io.StringIO()
    with logging_configured("INFO", "text", stream=stream), log_context(request_id="r-3"):
        logging.getLogger("icam.test").info("plain xoxb-1-2-secret")
        logging.getLogger("icam.test").debug("not at INFO")
    (line,) = stream.getvalue().splitlines()
    assert " INFO icam.test: plain xoxb-" in line
    assert line.endswith("[request_id=r-3]")
    assert "secret" not in line


def test_configuration_is_restored_afterwards():
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    with logging_configured("ERROR", "json", stream=io.StringIO()):
        assert root.level == logging.ERROR
        assert len(root.handlers) == 1
    assert (root.handlers, root.level) == (before, level)
    with pytest.raises(ValueError, match="json, text"), logging_configured("INFO", "xml"):
        pass
