"""The outbox in the served app: a crash between commit and send delays a message, never loses or doubles it."""

from __future__ import annotations

import asyncio
import datetime as dt

from slack_harness import Harness, serve_app
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from icam_bot.db import make_engine
from icam_bot.outbox.models import OutboxMessage
from icam_bot.programs.routing import load_programs
from icam_bot.tracker.service import NewItem, TrackerService

STAFF = "U0000STAFF"


def create_items(database_url: str, count: int) -> None:
    """Items committed while no replica runs (as if the one that wrote them died before sending)."""
    engine = make_engine(database_url)
    tracker = TrackerService(engine, load_programs())
    for n in range(count):
        tracker.create(NewItem("issue", f"Reader {n}", "Readers fail", "credentialing", "high", STAFF))
    engine.dispose()


def outbox_rows(h: Harness) -> list[OutboxMessage]:
    with h.store.sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def settled_rows(h: Harness) -> list[OutboxMessage]:
    """The rows once none is pending (a post is recorded just after Slack accepted it)."""
    for _ in range(100):
        rows = outbox_rows(h)
        if rows and all(r.status != "pending" for r in rows):
            return rows
        await asyncio.sleep(0.05)
    return outbox_rows(h)


async def test_messages_owed_when_no_replica_ran_are_sent_once_when_one_starts(responder, database_url):
    create_items(database_url, 2)

    async with serve_app(responder, database_url) as h:
        calls = await h.fake.wait_for("chat.postMessage", 6, timeout=15)
        await asyncio.sleep(2.5)  # another poll: nothing is sent twice
        assert len(h.fake.calls_to("chat.postMessage")) == 6
        sent = {c.params["channel"] for c in calls}
        assert sent == {STAFF, "U0EXAMPLE11", "C0EXAMPLECRD"}
        rows = await settled_rows(h)
        assert {r.status for r in rows} == {"sent"}
        assert all(r.message_ts and r.attempts == 1 for r in rows)


async def test_a_dead_replicas_lease_delays_its_messages_then_another_replica_sends_them(responder, database_url):
    create_items(database_url, 1)
    engine = make_engine(database_url)
    with engine.begin() as conn:
        until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
        conn.execute(update(OutboxMessage).values(claimed_by="dead-replica", lease_until=until, attempts=1))
    engine.dispose()

    async with serve_app(responder, database_url) as h:
        await asyncio.sleep(1.0)
        assert h.fake.calls_to("chat.postMessage") == []  # still the dead replica's
        await h.fake.wait_for("chat.postMessage", 3, timeout=10)
        rows = await settled_rows(h)
        assert {(r.status, r.attempts) for r in rows} == {("sent", 2)}
        assert {r.claimed_by for r in rows} == {h.services.replica_id}


async def test_slack_failing_for_a_while_delays_a_message_never_drops_it(responder, database_url):
    async with serve_app(responder, database_url) as h:
        h.fake.fail("chat.postMessage", *([500] * 9))  # three sends, each with its retries, all fail
        create_items(database_url, 1)
        h.services.notify()
        for _ in range(200):
            if all(r.error for r in outbox_rows(h)):
                break
            await asyncio.sleep(0.05)
        rows = outbox_rows(h)
        assert {(r.status, r.error) for r in rows} == {("pending", "fatal_error")}
        with h.store.engine.begin() as conn:  # the backoff has run out
            conn.execute(update(OutboxMessage).values(next_attempt_at=dt.datetime.now(dt.UTC)))
        h.services.notify()
        await h.fake.wait_for("chat.postMessage", 3)
        await asyncio.sleep(0.3)
        assert len(h.fake.calls_to("chat.postMessage")) == 3
        assert {(r.status, r.attempts) for r in await settled_rows(h)} == {("sent", 2)}


async def test_a_send_whose_record_failed_is_recorded_later_not_sent_again(responder, database_url, monkeypatch):
    async with serve_app(responder, database_url) as h:
        outbox = h.services.outbox
        real_settle = outbox.settle
        failures = [1]

        def settle_after_an_outage(row, outcome):
            if failures:
                failures.pop()
                raise OperationalError("UPDATE outbox", {}, ConnectionRefusedError("connection refused"))
            return real_settle(row, outcome)

        monkeypatch.setattr(outbox, "settle", settle_after_an_outage)
        create_items(database_url, 1)
        h.services.notify()
        await h.fake.wait_for("chat.postMessage", 3)
        for _ in range(3):  # the database is back: the next passes record the send, nothing is sent twice
            await h.services.deliver_outbox()
        rows = await settled_rows(h)
        assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}
        assert len(h.fake.calls_to("chat.postMessage")) == 3
