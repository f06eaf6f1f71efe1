"""Text people type (resolutions, reasons, notes) is item content, not audit data: it is kept as a comment the
event points at, so the retention job can redact it while the immutable events keep who, what and when."""

from __future__ import annotations

import json

from sqlalchemy import select
from tracker_support import CRED_OWNER, PMO, REPORTER, new_item

from icam_bot.outbox.models import OutboxMessage
from icam_bot.retention.job import REDACTED, RetentionJob, RetentionPolicy
from icam_bot.tracker.models import Status, TrackerComment, TrackerEvent
from icam_bot.tracker.results import NotificationKind
from icam_bot.tracker.service import TrackerService

SECRETS = {
    "escalate": "J. Doe's clearance is suspended",
    "resolve": "badge pulled from J. Doe",
    "reopen": "J. Doe appealed",
    "note": "waiting on J. Doe's adjudicator",
    "close": "J. Doe left the agency",
}


def _event_texts(service: TrackerService) -> str:
    with service.sessions() as session:
        rows = session.scalars(select(TrackerEvent)).all()
        return "\n".join(f"{e.before} {e.after} {e.detail}" for e in rows)


def _walk(service: TrackerService) -> str:
    ref = service.create(new_item(program="personnel-security")).item.ref
    escalated = service.escalate(ref, SECRETS["escalate"], actor=REPORTER)
    # people are still told why (the person's text travels apart from the tracker's words, escaped when shown)
    assert any(SECRETS["escalate"] in n.text for n in escalated.notifications)
    service.set_status(ref, Status.WAITING, actor=PMO, note=SECRETS["note"])
    resolved = service.resolve(ref, SECRETS["resolve"], actor=PMO)
    assert resolved.item.resolution == SECRETS["resolve"]
    assert any(SECRETS["resolve"] in n.text for n in resolved.notifications)
    service.reopen(ref, SECRETS["reopen"], actor=REPORTER)
    service.close(ref, actor=PMO, note=SECRETS["close"])
    return ref


def test_typed_text_lives_in_comments_and_events_point_at_them(engine, programs, clock):
    service = TrackerService(engine, programs, clock=clock)
    ref = _walk(service)
    texts = _event_texts(service)
    for secret in SECRETS.values():
        assert secret not in texts
    events, comments = service.history(ref, actor=PMO)
    bodies = [c.body for c in comments]
    assert bodies == [
        f"Escalation reason: {SECRETS['escalate']}",
        f"Status note: {SECRETS['note']}",
        f"Resolution: {SECRETS['resolve']}",
        f"Reopen reason: {SECRETS['reopen']}",
        f"Closing note: {SECRETS['close']}",
    ]
    escalation = next(e for e in events if e.action == "escalated")
    assert escalation.detail == f"by <@{REPORTER}>: reason in comment {comments[0].id}"
    assert next(e for e in events if e.field == "resolution").after == f"comment {comments[2].id}"
    authors = [c.author_id for c in comments]
    assert authors == [REPORTER, PMO, PMO, REPORTER, PMO]


def test_after_retention_the_text_is_nowhere_in_the_database(engine, programs, clock):
    service = TrackerService(engine, programs, clock=clock)
    ref = _walk(service)
    clock.advance(days=31)
    assert RetentionJob(engine, RetentionPolicy(closed_items_days=30), clock=clock).run(actor="ops").items == 1
    with service.sessions() as session:
        assert set(session.scalars(select(TrackerComment.body))) == {REDACTED}
    texts = _event_texts(service)
    item = service.get(ref, actor=PMO)
    with service.sessions() as session:  # the messages owed or sent about it (the outbox) went with it
        owed = json.dumps([row.payload for row in session.scalars(select(OutboxMessage))])
    for secret in SECRETS.values():
        assert secret not in texts
        assert secret not in f"{item.title} {item.description} {item.resolution}"
        assert secret not in owed


def test_the_sweeper_keeps_its_own_reasons_in_the_event(engine, programs, clock):
    from icam_bot.tracker.sweeper import Sweeper

    service = TrackerService(engine, programs, clock=clock)
    service.create(new_item(severity="critical"))
    clock.advance(days=3)
    result = Sweeper(service.sessions, programs, clock=clock).sweep_once()
    assert result.escalated
    assert any(n.kind is NotificationKind.ESCALATED for n in result.notifications)
    assert "SLA missed" in _event_texts(service)
    _, comments = service.history("ICAM-1", actor=CRED_OWNER)
    assert comments == []
