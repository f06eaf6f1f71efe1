"""Delivery against a local receiver that checks every signature: delivered once, retried with backoff after 500s
and timeouts, never redirected, dead after the last attempt, and shared by replicas without sending twice."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tracker_support import new_item
from webhook_support import SECRET, SECRET_ENV, Receiver, routing

from icam_bot.db.session import make_session_factory
from icam_bot.tracker.service import TrackerService
from icam_bot.webhooks.dispatcher import WebhookDispatcher
from icam_bot.webhooks.models import WebhookDelivery
from icam_bot.webhooks.settings import WebhookSettings
from icam_bot.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER

FAST = WebhookSettings(max_attempts=3, backoff_s=0.05, timeout_s=0.5)


@pytest.fixture(autouse=True)
def secret_and_local_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.setenv("ICAM_WEBHOOKS_ALLOW_HTTP", "1")


@pytest.fixture
async def receiver():
    found = await Receiver().start()
    yield found
    await found.stop()


def rows(engine: Engine) -> list[WebhookDelivery]:
    with Session(engine) as session:
        found = list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
        session.expunge_all()
        return found


async def settle(engine: Engine, dispatcher: WebhookDispatcher, *, until: str, timeout: float = 10.0) -> None:
    """Run the dispatcher until every row has status ``until``."""
    dispatcher.start()
    for _ in range(int(timeout / 0.02)):
        if rows(engine) and all(r.status == until for r in rows(engine)):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"rows are {[(r.id, r.status, r.attempts, r.last_error) for r in rows(engine)]}")


def dispatcher_for(engine: Engine, receiver: Receiver, owner: str = "replica-1", settings=FAST, **hook):
    return WebhookDispatcher(make_session_factory(engine), routing(receiver.url, **hook), owner, settings)


async def test_a_signed_event_is_delivered_once(engine, clock, receiver):
    config = routing(receiver.url)
    item = TrackerService(engine, config, clock=clock).create(new_item()).item
    dispatcher = dispatcher_for(engine, receiver)
    try:
        await settle(engine, dispatcher, until="delivered")
    finally:
        await dispatcher.stop()
    (got,) = receiver.received
    assert got.signed
    assert got.body["type"] == "item.created"
    assert got.body["data"]["item"]["ref"] == item.ref
    assert got.headers[EVENT_HEADER] == "item.created"
    assert got.headers[DELIVERY_HEADER] == got.body["id"]
    (row,) = rows(engine)
    assert (row.attempts, row.last_status, row.last_error) == (1, 200, None)


async def test_500s_and_timeouts_are_retried_with_backoff_until_delivered(engine, clock, receiver):
    TrackerService(engine, routing(receiver.url), clock=clock).create(new_item())
    receiver.plan.extend([500, "slow"])
    attempts: list[tuple[str, str, str | None]] = []
    dispatcher = dispatcher_for(engine, receiver)
    dispatcher.on_attempt = lambda *seen: attempts.append(seen)
    try:
        await settle(engine, dispatcher, until="delivered")
    finally:
        await dispatcher.stop()
    assert [a[1] for a in attempts] == ["http_error", "no_answer", "delivered"]
    (row,) = rows(engine)
    assert row.attempts == 3
    assert len(receiver.received) == 3
    assert all(r.signed for r in receiver.received)
    assert len({r.body["id"] for r in receiver.received}) == 1  # the same event each time


async def test_after_the_last_attempt_the_delivery_is_dead(engine, clock, receiver):
    TrackerService(engine, routing(receiver.url), clock=clock).create(new_item())
    receiver.plan.extend([500, 503, 500, 500])
    dispatcher = dispatcher_for(engine, receiver)
    try:
        await settle(engine, dispatcher, until="dead")
        await asyncio.sleep(0.3)  # nothing more is tried
    finally:
        await dispatcher.stop()
    (row,) = rows(engine)
    assert (row.status, row.attempts, row.last_status, row.last_error) == ("dead", 3, 500, "HTTP 500")
    assert len(receiver.received) == 3


async def test_redirects_are_never_followed(engine, clock, receiver):
    TrackerService(engine, routing(receiver.url), clock=clock).create(new_item())
    receiver.plan.extend(["redirect"] * 3)
    dispatcher = dispatcher_for(engine, receiver)
    try:
        await settle(engine, dispatcher, until="dead")
    finally:
        await dispatcher.stop()
    assert receiver.followed == 0
    assert rows(engine)[0].last_error == "HTTP 302: redirects are not followed"


async def test_a_wrong_secret_is_refused_by_the_receiver_and_retried(engine, clock, receiver, monkeypatch):
    TrackerService(engine, routing(receiver.url), clock=clock).create(new_item())
    monkeypatch.setenv(SECRET_ENV, "another-secret-entirely-0000")
    dispatcher = dispatcher_for(engine, receiver)
    try:
        await settle(engine, dispatcher, until="dead")
    finally:
        await dispatcher.stop()
    assert rows(engine)[0].last_status == 401
    assert receiver.good() == []


async def test_two_replicas_deliver_each_event_once(engine, clock, receiver):
    service = TrackerService(engine, routing(receiver.url), clock=clock)
    for n in range(12):
        service.create(new_item(title=f"badge reader {n} rejects cards"))
    first, second = dispatcher_for(engine, receiver, "replica-1"), dispatcher_for(engine, receiver, "replica-2")
    try:
        await asyncio.gather(first.deliver_due(), second.deliver_due())
        await settle(engine, first, until="delivered")
    finally:
        await first.stop()
        await second.stop()
    assert len(receiver.received) == 12
    assert len({r.body["id"] for r in receiver.received}) == 12
