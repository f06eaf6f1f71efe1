"""Escalation one level up the chain and the schedule of the next SLA check, shared by service and sweeper."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Protocol

from icam_bot.programs.calendar import add_business_hours
from icam_bot.programs.routing import LEVEL_NAMES, ProgramRouting
from icam_bot.tracker.audit import Recorder, escalated_by
from icam_bot.tracker.models import SLA_STATUSES, Severity, Status
from icam_bot.tracker.results import NotificationKind, Outbox

logger = logging.getLogger(__name__)

#: Fraction of the first-response window after which the assignee is reminded.
REMINDER_FRACTION = 0.75


class Schedulable(Protocol):
    """The fields the escalation schedule depends on (an item, or a row the sweeper read)."""

    status: Status
    severity: Severity
    escalation_level: int
    first_response_due_at: dt.datetime
    resolution_due_at: dt.datetime
    first_response_at: dt.datetime | None
    last_escalated_at: dt.datetime | None


def next_check(item: Schedulable, routing: ProgramRouting) -> dt.datetime | None:
    """When the sweeper must next look at ``item``: its pending SLA, or one re-escalation interval later.

    None when nothing more can happen: the item is resolved, closed or waiting on the reporter (the clock
    pauses), or it already sits at the top of the chain. After an escalation the next level gets the
    first-response allowance for the severity, in working hours, before the item moves up again.
    """
    if item.status not in SLA_STATUSES or item.escalation_level >= routing.max_level:
        return None
    due = item.first_response_due_at if item.first_response_at is None else item.resolution_due_at
    if item.last_escalated_at is not None:
        grace = add_business_hours(item.last_escalated_at, routing.sla.first_response[item.severity], routing.calendar)
        due = max(due, grace)
    return due


def reminder_time(start: dt.datetime, item: Schedulable, routing: ProgramRouting) -> dt.datetime:
    hours = routing.sla.first_response[item.severity] * REMINDER_FRACTION
    return add_business_hours(start, hours, routing.calendar)


def reporter_window_end(item: Schedulable, routing: ProgramRouting) -> dt.datetime | None:
    """Until when a reporter may not escalate their own item again: the level it was last escalated to has the
    first-response allowance for its severity (working hours), as the SLA sweeper gives it. None: no limit."""
    if item.last_escalated_at is None:
        return None
    return add_business_hours(item.last_escalated_at, routing.sla.first_response[item.severity], routing.calendar)


def escalate(
    rec: Recorder,
    routing: ProgramRouting,
    reason: str,
    outbox: Outbox,
    *,
    actor: str | None,
    recorded: str | None = None,
) -> str:
    """Move the item one level up (caller checks there is a level above); returns the new target.

    ``actor``: the person who asked; ``reason`` is what they wrote, and notifications carry it apart from the
    tracker's words (the next level and whoever is passed over). The event records ``by <@actor>: <recorded>``
    (audit.escalated_by), ``recorded`` replacing the reason when given (a person's reason is kept in a comment the
    event points at, see Recorder.note).

    ``actor=None``: the SLA sweeper (``rec.actor`` is the system); ``reason`` is the tracker's own words (which
    SLA was missed), recorded as is and carried in the detail of the notifications to the next level and to
    the assignee (or the primary owner), whose SLA was breached.
    """
    item = rec.item
    old = item.escalation_level
    new = old + 1
    target = routing.escalation_target(new)
    noted = reason if recorded is None else recorded
    audit = noted if actor is None else escalated_by(actor, noted)
    rec.set("escalation_level", new, action="escalated", detail=audit)
    item.last_escalated_at = rec.now  # scheduling state, derived: not audited separately
    item.next_escalation_at = next_check(item, routing)
    if actor is None:
        detail = f"to the {LEVEL_NAMES[new]} ({reason})"
        outbox.add(target, NotificationKind.ESCALATED, detail)
        outbox.add(item.assignee_id or routing.primary_owner, NotificationKind.SLA_BREACHED, detail)
        return target
    detail = f"to the {LEVEL_NAMES[new]}"
    outbox.add(target, NotificationKind.ESCALATED, detail, actor=actor, text=reason)
    passed = item.assignee_id or routing.escalation_target(old)
    outbox.add(passed, NotificationKind.ESCALATED_PAST, detail, actor=actor, text=reason)
    logger.info("%s escalated to level %d", item.ref, new)
    logger.debug("%s escalation reason: %s", item.ref, reason)  # people's text: DEBUG only
    return target
