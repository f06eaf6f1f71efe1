"""Webhook deliveries are written in the same transaction as the change they report (tracker and announcements),
with the documented body and nothing personal beyond what the event needs."""

from __future__ import annotations

import pytest
from fake_clock import Clock
from sqlalchemy import Engine, func, select
from tracker_support import CRED_OWNER, PMO, REPORTER, new_item
from webhook_support import routing

from icam_bot.comms.announcements import AnnouncementDraft, AnnouncementService
from icam_bot.tracker.errors import ItemValidationError
from icam_bot.tracker.models import TrackerItem
from icam_bot.tracker.service import TrackerService
from icam_bot.tracker.sweeper import Sweeper
from icam_bot.webhooks.events import SCHEMA
from icam_bot.webhooks.models import WebhookDelivery

URL = "https://tickets.example.gov/icam"


@pytest.fixture
def service(engine: Engine, clock: Clock) -> TrackerService:
    return TrackerService(engine, routing(URL), clock=clock)


def deliveries(engine: Engine) -> list[WebhookDelivery]:
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        rows = list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
        session.expunge_all()
        return rows


def test_item_events_are_written_with_the_change(engine, service):
    item = service.create(new_item()).item
    service.assign(item.ref, "U0EXAMPLE12", actor=CRED_OWNER)
    service.escalate(item.ref, "blocking the whole office", actor=CRED_OWNER)
    service.resolve(item.ref, "reader firmware updated", actor=CRED_OWNER)
    rows = deliveries(engine)
    assert [r.event_type for r in rows] == ["item.created", "item.assigned", "item.escalated", "item.resolved"]
    assert {r.target for r in rows} == {"credentialing/ticketing"}
    assert all(r.status == "pending" and r.url == URL for r in rows)
    created = rows[0].payload
    assert (created["schema"], created["type"], created["program"]) == (SCHEMA, "item.created", "credentialing")
    assert created["data"]["item"]["ref"] == item.ref
    assert created["data"]["item"]["title"] == item.title
    assert created["data"]["actor_id"] is None
    assert rows[1].payload["data"]["item"]["assignee_id"] == "U0EXAMPLE12"
    assert rows[1].payload["data"]["actor_id"] == CRED_OWNER
    assert rows[3].payload["data"]["item"]["status"] == "resolved"
    for row in rows:  # nothing personal the receiver does not need
        text = str(row.payload)
        assert REPORTER not in text
        assert item.description not in text
        assert "reader firmware updated" not in text


def test_a_refused_change_writes_no_event_and_unconfigured_programs_none(engine, service):
    with pytest.raises(ItemValidationError):
        service.create(new_item(title=""))
    service.create(new_item(program="pacs"))
    assert deliveries(engine) == []


def test_a_sensitive_programs_title_is_left_out(engine, service):
    service.create(new_item(program="personnel-security", title="Adjudication backlog for J. Doe"))
    (row,) = deliveries(engine)
    assert row.target == "personnel-security/psec"
    assert row.payload["data"]["item"]["title"] is None
    assert "J. Doe" not in str(row.payload)


def test_the_sweepers_escalations_are_events_too(engine, service, clock):
    service.create(new_item(severity="critical"))
    clock.advance(days=3)
    result = Sweeper(service.sessions, service.programs, clock=clock).sweep_once()
    assert result.escalated
    assert [r.event_type for r in deliveries(engine)].count("item.escalated") == len(result.escalated)


def test_an_announcement_sent_is_an_event_for_every_program_it_reaches(engine, clock):
    config = routing(URL)
    announcements = AnnouncementService(engine, clock, programs=config)
    draft = announcements.save_draft(PMO, AnnouncementDraft("all", "Badge offices close early on Friday."))
    announcements.confirm(draft.id, PMO)
    announcements.confirm(draft.id, PMO)  # a double click sends nothing twice
    rows = deliveries(engine)
    assert sorted(r.target for r in rows) == ["credentialing/ticketing", "personnel-security/psec"]
    assert {r.event_id for r in rows} == {rows[0].payload["id"]}  # one event, one delivery per webhook
    assert rows[0].payload["data"]["announcement"]["body"] == "Badge offices close early on Friday."
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(TrackerItem)).scalar() == 0
