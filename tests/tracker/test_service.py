"""Tracker flows as the Slack listeners will drive them: create, look up, act, with permission checks."""

from __future__ import annotations

import datetime as dt

import pytest
from fake_clock import MONDAY_9AM
from sqlalchemy import func, select
from tracker_support import CRED_LEAD, CRED_OWNER, OTHER_STAFF, PACS_OWNER, PMO, REPORTER, new_item

from icam_bot.tracker.errors import (
    InvalidItemIdError,
    InvalidTransitionError,
    ItemNotFoundError,
    ItemValidationError,
    PermissionDeniedError,
    TrackerUnavailableError,
)
from icam_bot.tracker.models import Status, TrackerComment, TrackerEvent, TrackerItem
from icam_bot.tracker.results import NotificationKind as K
from icam_bot.tracker.service import MAX_DESCRIPTION_CHARS, NewItem, TrackerService, parse_item_id


def kinds(result):
    return {(n.recipient, n.kind) for n in result.notifications}


def count_rows(service: TrackerService, model) -> int:
    with service.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_create_routes_to_owner_sets_business_hour_slas_and_notifies(service):
    result = service.create(new_item())
    item = result.item
    assert item.ref == f"ICAM-{item.id}"
    assert item.status is Status.NEW
    assert item.assignee_id == CRED_OWNER
    # high severity: 4 working hours to first response, 24 to resolution (Mon 09:00 EST start)
    assert item.first_response_due_at == dt.datetime(2026, 3, 2, 18, 0, tzinfo=dt.UTC)
    assert item.resolution_due_at == dt.datetime(2026, 3, 4, 20, 0, tzinfo=dt.UTC)
    assert item.created_at == MONDAY_9AM
    assert kinds(result) == {
        (REPORTER, K.REPORTER_CONFIRMATION),
        (CRED_OWNER, K.NEW_ITEM_OWNER),
        ("C0EXAMPLECRD", K.NEW_ITEM_CHANNEL),
    }
    assert next(n for n in result.notifications if n.kind is K.REPORTER_CONFIRMATION).detail == item.ref
    assert not result.truncated


def test_ids_are_sequential(service):
    ids = [service.create(new_item(title=f"item {n}")).item.id for n in range(3)]
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]


def test_oversized_description_is_cut_and_the_result_says_so(service):
    result = service.create(new_item(description="x" * (MAX_DESCRIPTION_CHARS + 500)))
    assert result.truncated
    assert len(result.item.description) == MAX_DESCRIPTION_CHARS
    assert "8,500 characters" in result.notices[0]
    events, _ = service.history(result.item.ref, actor=REPORTER)
    assert any(e.action == "truncated" for e in events)


def test_invalid_submission_names_each_field_and_writes_nothing(service):
    with pytest.raises(ItemValidationError) as caught:
        service.create(new_item(title=" ", kind="gripe", program="hr", severity="urgent", likelihood=3))
    assert set(caught.value.errors) == {"title", "kind", "program", "severity", "likelihood"}
    assert count_rows(service, TrackerItem) == 0


def test_risk_needs_likelihood_and_impact_and_scores_them(service):
    with pytest.raises(ItemValidationError) as caught:
        service.create(new_item(kind="risk", likelihood=6))
    assert set(caught.value.errors) == {"likelihood", "impact"}
    risk = service.create(new_item(kind="risk", likelihood=4, impact=5, mitigation_owner_id=CRED_LEAD)).item
    assert risk.risk_score == 20
    assert risk.mitigation_owner_id == CRED_LEAD


def test_full_lifecycle_tells_the_reporter_of_every_status_change(service, clock):
    ref = service.create(new_item()).item.ref
    clock.advance(minutes=30)
    assigned = service.assign(ref, "U0EXAMPLE12", actor=CRED_OWNER)
    assert assigned.item.status is Status.TRIAGED
    assert assigned.item.first_response_at == clock.now
    assert {("U0EXAMPLE12", K.ASSIGNED), (REPORTER, K.STATUS_CHANGED)} <= kinds(assigned)
    steps = [
        service.set_status(ref, "in_progress", actor="U0EXAMPLE12"),
        service.set_status(ref, Status.WAITING, actor="U0EXAMPLE12", note="need your card serial"),
        service.set_status(ref, "in_progress", actor="U0EXAMPLE12"),
        service.resolve(ref, "Reader driver updated", actor="U0EXAMPLE12"),
    ]
    for step in steps:
        assert (REPORTER, K.STATUS_CHANGED) in kinds(step)
    resolved = steps[-1].item
    assert resolved.status is Status.RESOLVED
    assert resolved.resolution == "Reader driver updated"
    assert resolved.resolved_at == clock.now
    reopened = service.reopen(ref, "still failing on the docking station", actor=REPORTER)
    assert reopened.item.status is Status.TRIAGED
    assert reopened.item.resolved_at is None
    assert {("U0EXAMPLE12", K.REOPENED), ("C0EXAMPLECRD", K.REOPENED), (REPORTER, K.STATUS_CHANGED)} <= kinds(reopened)
    service.resolve(ref, "Dock firmware updated", actor=CRED_OWNER)
    closed = service.close(ref, actor=REPORTER)
    assert closed.item.status is Status.CLOSED
    assert closed.item.closed_at == clock.now
    assert [i.ref for i in service.mine(actor=REPORTER, include_closed=True)] == [ref]
    assert service.mine(actor=REPORTER) == []


def test_comment_notifies_the_other_party_and_counts_as_first_response(service, clock):
    ref = service.create(new_item()).item.ref
    mine = service.comment(ref, "Which laptop model?", actor=CRED_OWNER)
    assert kinds(mine) == {(REPORTER, K.COMMENT_ADDED)}
    assert mine.item.first_response_at == clock.now
    reply = service.comment(ref, "A Latitude 7440", actor=REPORTER)
    assert kinds(reply) == {(CRED_OWNER, K.COMMENT_ADDED)}
    _, comments = service.history(ref, actor=PMO)
    assert [c.body for c in comments] == ["Which laptop model?", "A Latitude 7440"]


def test_audit_trail_records_every_change_with_before_and_after(service, clock):
    ref = service.create(new_item()).item.ref
    clock.advance(hours=1)
    service.assign(ref, "U0EXAMPLE12", actor=PMO)
    service.escalate(ref, "blocking a whole office", actor=REPORTER)
    service.comment(ref, "on it", actor="U0EXAMPLE12")
    service.resolve(ref, "fixed", actor="U0EXAMPLE12")
    service.reopen(ref, "not fixed", actor=REPORTER)
    events, _ = service.history(ref, actor=PMO)
    trail = [(e.actor_id, e.action, e.field, e.before, e.after) for e in events]
    assert trail[:2] == [
        (REPORTER, "created", None, None, "new"),
        (REPORTER, "assigned", "assignee_id", None, CRED_OWNER),
    ]
    assert (PMO, "assigned", "assignee_id", CRED_OWNER, "U0EXAMPLE12") in trail
    assert (PMO, "status_changed", "status", "new", "triaged") in trail
    assert (PMO, "first_response", "first_response_at", None, clock.now.isoformat()) in trail
    assert (REPORTER, "escalated", "escalation_level", "0", "1") in trail
    assert ("U0EXAMPLE12", "commented", None, None, None) in trail
    # the resolution's text is kept in a comment the event names (audit rows never hold typed text)
    resolution_comment = next(c.id for c in service.history(ref, actor=PMO)[1] if c.body == "Resolution: fixed")
    assert ("U0EXAMPLE12", "changed", "resolution", None, f"comment {resolution_comment}") in trail
    assert ("U0EXAMPLE12", "status_changed", "status", "triaged", "resolved") in trail
    assert (REPORTER, "status_changed", "status", "resolved", "triaged") in trail
    assert (REPORTER, "changed", "escalation_level", "1", "0") in trail
    assert all(e.created_at == clock.now for e in events[2:])
    with service.sessions.begin() as session:  # append-only
        event = session.scalars(select(TrackerEvent)).first()
        event.detail = "rewritten"
        with pytest.raises(RuntimeError, match="append-only"):
            session.flush()


def test_staff_see_and_act_on_their_own_items_only(service):
    ref = service.create(new_item()).item.ref
    for action in (
        lambda: service.get(ref, actor=OTHER_STAFF),
        lambda: service.comment(ref, "me too", actor=OTHER_STAFF),
        lambda: service.escalate(ref, "me too", actor=OTHER_STAFF),
        lambda: service.resolve(ref, "done", actor=PACS_OWNER),  # an owner of another program
    ):
        with pytest.raises(PermissionDeniedError, match="belongs to someone else"):
            action()
    with pytest.raises(PermissionDeniedError, match="you raised"):
        service.resolve(ref, "never mind", actor=REPORTER)
    with pytest.raises(PermissionDeniedError):
        service.assign(ref, REPORTER, actor=REPORTER)
    assert service.get(ref, actor=REPORTER).ref == ref
    assert service.get(ref, actor="U0EXAMPLEES1").ref == ref  # ESC members may look
    assert count_rows(service, TrackerEvent) == 2  # refused actions wrote nothing
    assert count_rows(service, TrackerComment) == 0
    assert service.resolve(ref, "done", actor=CRED_LEAD).item.status is Status.RESOLVED  # program lead


def test_invalid_transitions_are_refused_and_write_nothing(service):
    ref = service.create(new_item()).item.ref
    service.close(ref, actor=PMO)
    before = count_rows(service, TrackerEvent)
    with pytest.raises(InvalidTransitionError, match="it is closed"):
        service.resolve(ref, "done", actor=PMO)
    with pytest.raises(InvalidTransitionError, match="already closed"):
        service.close(ref, actor=PMO)
    with pytest.raises(InvalidTransitionError):
        service.set_status(ref, "in_progress", actor=PMO)
    with pytest.raises(InvalidTransitionError, match="resolve, close or reopen"):
        service.set_status(ref, "resolved", actor=PMO)
    with pytest.raises(InvalidTransitionError, match="not a status"):
        service.set_status(ref, "done", actor=PMO)
    assert count_rows(service, TrackerEvent) == before
    open_ref = service.create(new_item()).item.ref
    with pytest.raises(InvalidTransitionError, match="still open"):
        service.reopen(open_ref, "why", actor=PMO)
    for reason in ("one", "two", "three"):
        service.escalate(open_ref, reason, actor=PMO)
    with pytest.raises(InvalidTransitionError, match="top of the escalation chain"):
        service.escalate(open_ref, "four", actor=PMO)


def test_escalation_walks_the_chain(service, clock):
    ref = service.create(new_item()).item.ref
    targets = []
    for _ in range(3):
        result = service.escalate(ref, "urgent", actor=REPORTER)
        targets.append(next(n.recipient for n in result.notifications if n.kind is K.ESCALATED))
        clock.advance(days=1)  # a reporter escalates once per SLA window
    assert targets == [CRED_LEAD, PMO, "C0EXAMPLEESC"]
    assert service.get(ref, actor=REPORTER).escalation_level == 3


def test_a_reporter_escalates_their_item_once_per_sla_window(service, clock):
    """Three `/icam escalate` in a row must not take a reporter's own item to the ESC: the level they escalated
    to gets the first-response allowance (high: 4 working hours) before they can escalate again."""
    ref = service.create(new_item()).item.ref
    service.escalate(ref, "urgent", actor=REPORTER)
    events_before = count_rows(service, TrackerEvent)
    for _ in range(2):
        with pytest.raises(InvalidTransitionError, match="before you can escalate it again"):
            service.escalate(ref, "still urgent", actor=REPORTER)
    clock.advance(hours=3, minutes=59)
    with pytest.raises(InvalidTransitionError, match="program lead has until"):
        service.escalate(ref, "still urgent", actor=REPORTER)
    assert service.get(ref, actor=REPORTER).escalation_level == 1
    assert count_rows(service, TrackerEvent) == events_before  # refusals write nothing
    clock.advance(minutes=1)
    assert service.escalate(ref, "still urgent", actor=REPORTER).item.escalation_level == 2
    assert service.escalate(ref, "confirmed", actor=PMO).item.escalation_level == 3  # owners and PMO: no limit


def test_a_manual_escalation_is_not_worded_as_an_sla_breach(service):
    ref = service.create(new_item()).item.ref
    result = service.escalate(ref, "blocking a whole office", actor=REPORTER)
    assert kinds(result) == {(CRED_LEAD, K.ESCALATED), (CRED_OWNER, K.ESCALATED_PAST)}
    for note in result.notifications:
        assert (note.detail, note.actor, note.text) == ("to the program lead", REPORTER, "blocking a whole office")


@pytest.mark.parametrize("bad", ["ICAM-abc", "ICAM-", "ICAM-12x", "PIV-12", "", "ICAM-0", "ICAM-99999999999", "-3"])
def test_malformed_ids_are_refused(service, bad):
    with pytest.raises(InvalidItemIdError, match="not"):
        service.get(bad, actor=PMO)


def test_id_forms_and_unknown_ids(service):
    assert parse_item_id("ICAM-12") == parse_item_id("icam-12") == parse_item_id(" #12 ") == parse_item_id(12) == 12
    with pytest.raises(ItemNotFoundError, match="no item ICAM-99999"):
        service.get("ICAM-99999", actor=PMO)
    with pytest.raises(ItemNotFoundError):
        service.resolve("ICAM-99999", "x", actor=PMO)


def test_queue_is_for_the_pmo_and_program_owners(service, clock):
    low = service.create(new_item(severity="low", title="low")).item
    critical = service.create(new_item(severity="critical", title="critical")).item
    pacs = service.create(new_item(program="pacs", title="door")).item
    done = service.create(new_item(title="done")).item
    service.close(done.ref, actor=PMO)
    assert [i.ref for i in service.queue(actor=PMO)] == [critical.ref, pacs.ref, low.ref]
    assert [i.ref for i in service.queue(actor=PMO, program="pacs")] == [pacs.ref]
    assert [i.ref for i in service.queue(actor=CRED_OWNER, program="credentialing")] == [critical.ref, low.ref]
    for actor, program in ((REPORTER, None), (CRED_OWNER, None), (CRED_OWNER, "pacs")):
        with pytest.raises(PermissionDeniedError):
            service.queue(actor=actor, program=program)
    with pytest.raises(ItemValidationError):
        service.queue(actor=PMO, program="nope")


def test_stats_counts_overdue_and_medians(service, clock):
    a = service.create(new_item(severity="critical")).item  # 1 working hour to respond
    b = service.create(new_item(program="pacs", severity="low")).item
    service.create(new_item(program="pacs", severity="low"))
    clock.advance(minutes=30)
    service.comment(a.ref, "looking", actor=CRED_OWNER)
    clock.advance(hours=1, minutes=30)
    service.resolve(b.ref, "done", actor=PACS_OWNER)  # responded and resolved after 2 hours
    clock.advance(hours=20)  # a (critical: 8 working hours to resolve) is now overdue
    stats = service.stats(actor=PMO)
    assert stats.total == 3
    assert stats.open == 2
    assert stats.overdue == 1
    assert stats.by_status == {"new": 2, "resolved": 1}
    assert stats.by_program == {"credentialing": 1, "pacs": 2}
    assert stats.by_severity == {"critical": 1, "low": 2}
    assert stats.median_hours_to_first_response == pytest.approx(1.25)
    assert stats.median_hours_to_resolution == pytest.approx(2.0)
    assert service.stats(actor=PMO, program="pacs").total == 2
    with pytest.raises(PermissionDeniedError):
        service.stats(actor=REPORTER)


def test_database_down_raises_a_specific_error_that_keeps_the_text(programs):
    from icam_bot.db import make_engine

    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    down = TrackerService(engine, programs)
    text = "My badge stopped opening building 4 this morning."
    with pytest.raises(TrackerUnavailableError) as caught:
        down.create(new_item(description=text))
    assert caught.value.text == text
    assert "not saved" in str(caught.value)
    with pytest.raises(TrackerUnavailableError) as caught:
        down.comment("ICAM-1", "hello?", actor=REPORTER)
    assert caught.value.text == "hello?"
    engine.dispose()


def test_new_item_is_a_plain_dataclass():
    assert NewItem(kind="question", title="t", description="d", program="other", severity="low", reporter_id="U1X")
