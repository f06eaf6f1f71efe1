"""A replica that died after Slack accepted an outbox post and before its ts was recorded: the next holder
finds the post by its metadata (conversations.history) and records it instead of posting it again."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from fake_slack import FakeSlack, im_channel
from sqlalchemy import select, update

from handlers.runtime.outbox import OutboxTask
from handlers.runtime.sender import Sender, make_web_client
from icam_bot.outbox.models import OutboxMessage
from icam_bot.outbox.service import OutboxService
from icam_bot.programs.routing import load_programs
from icam_bot.tracker.service import NewItem, TrackerService

STAFF = "U0000STAFF"


def _rows(engine) -> list[OutboxMessage]:
    with engine.connect() as conn:
        return list(conn.execute(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def _died_before_recording(engine) -> None:
    """The rows as a replica leaves them that died after each post and before recording it."""
    with engine.begin() as conn:
        conn.execute(
            update(OutboxMessage).values(
                status="pending",
                message_ts=None,
                sent_at=None,
                claimed_by="dead-replica",
                lease_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1),
                attempt_started_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5),
            )
        )


def _task(engine, owner: str, fake: FakeSlack) -> OutboxTask:
    outbox = OutboxService(engine, owner, lease_s=30)
    return OutboxTask(outbox, Sender(), make_web_client("xoxb-test", fake.api_url), programs={})


@pytest.fixture
async def fake():
    fake = await FakeSlack().start()
    yield fake
    await fake.stop()


async def test_a_post_found_by_its_metadata_is_recorded_not_sent_again(engine, fake):
    TrackerService(engine, load_programs()).create(
        NewItem("issue", "Reader", "Readers fail", "credentialing", "high", STAFF)
    )
    first = _task(engine, "replica-a", fake)
    assert await first.deliver_due() == 3
    posts = fake.calls_to("chat.postMessage")
    assert sorted(c.params["metadata"]["event_payload"]["row"] for c in posts) == [r.id for r in _rows(engine)]
    assert {c.params["metadata"]["event_type"] for c in posts} == {"icam_outbox"}
    sent = {r.id: r.message_ts for r in _rows(engine)}
    _died_before_recording(engine)

    assert await _task(engine, "replica-b", fake).deliver_due() == 3
    assert len(fake.calls_to("chat.postMessage")) == 3  # nothing posted twice
    rows = _rows(engine)
    assert {r.id: r.message_ts for r in rows} == sent
    assert {(r.status, r.claimed_by, r.attempt_started_at) for r in rows} == {("sent", "replica-b", None)}
    history = fake.calls_to("conversations.history")
    assert {c.params["channel"] for c in history} == {im_channel(STAFF), im_channel("U0EXAMPLE11"), "C0EXAMPLECRD"}
    assert all(c.params["include_all_metadata"] in (True, "true", "1") for c in history)
    assert {c.params["users"] for c in fake.calls_to("conversations.open")} == {STAFF, "U0EXAMPLE11"}


async def test_a_post_that_never_reached_slack_is_sent_after_the_look(engine, fake):
    TrackerService(engine, load_programs()).create(
        NewItem("issue", "Reader", "Readers fail", "credentialing", "high", STAFF)
    )
    _died_before_recording(engine)  # the attempt started, Slack never saw it

    assert await _task(engine, "replica-b", fake).deliver_due() == 3
    assert len(fake.calls_to("conversations.history")) == 3
    assert len(fake.calls_to("chat.postMessage")) == 3
    assert {r.status for r in _rows(engine)} == {"sent"}


async def test_without_the_history_scopes_the_row_is_sent_again_and_that_is_logged_once(engine, fake, caplog):
    TrackerService(engine, load_programs()).create(
        NewItem("issue", "Reader", "Readers fail", "credentialing", "high", STAFF)
    )
    assert await _task(engine, "replica-a", fake).deliver_due() == 3
    _died_before_recording(engine)
    fake.method_errors["conversations.history"] = "missing_scope"

    second = _task(engine, "replica-b", fake)
    with caplog.at_level(logging.WARNING, logger="handlers.runtime.outbox_lookup"):
        assert await second.deliver_due() == 3
    assert len(fake.calls_to("chat.postMessage")) == 6  # today's behaviour: sent again
    assert len([r for r in caplog.records if "cannot read conversation history" in r.getMessage()]) == 1
    assert {r.status for r in _rows(engine)} == {"sent"}
    asked = len(fake.attempts("conversations.history"))  # the three sends looked at once
    _died_before_recording(engine)
    assert await second.deliver_due() == 3
    assert len(fake.attempts("conversations.history")) == asked  # not asked again
