"""The webhook body (schema ``icam-bot.webhook/1``) and writing deliveries in the caller's transaction.

Only what a receiver needs to open or update its own ticket is sent: the item's reference, kind, program,
severity, status, escalation level and due times, its title (left out for ``sensitive`` programs), and Slack user
ids of the assignee and of whoever acted. Never descriptions, comments, the reporter, names or e-mail addresses.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any, Protocol

from sqlalchemy.orm import Session

from icam_bot.db.base import utcnow
from icam_bot.programs.routing import ProgramsConfig
from icam_bot.programs.webhooks import TEST_EVENT, WebhookTarget
from icam_bot.webhooks.models import DeliveryStatus, WebhookDelivery

SCHEMA = "icam-bot.webhook/1"


class ItemFacts(Protocol):
    """What an event says about a tracker item (the tracker's ItemView has these)."""

    id: int
    ref: str
    program: str
    title: str
    status: Any
    kind: Any
    severity: Any
    assignee_id: str | None
    escalation_level: int
    first_response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def _value(value: Any) -> Any:
    return getattr(value, "value", value)


def item_data(item: ItemFacts, *, sensitive: bool, actor: str | None) -> dict[str, Any]:
    """The ``data`` of an ``item.*`` event."""
    return {
        "item": {
            "ref": item.ref,
            "kind": _value(item.kind),
            "program": item.program,
            "title": None if sensitive else item.title,
            "severity": _value(item.severity),
            "status": _value(item.status),
            "assignee_id": item.assignee_id,
            "escalation_level": item.escalation_level,
            "first_response_due_at": _iso(item.first_response_due_at),
            "resolution_due_at": _iso(item.resolution_due_at),
        },
        "actor_id": actor,
    }


def envelope(event_type: str, program: str, data: dict[str, Any], now: dt.datetime | None = None) -> dict[str, Any]:
    """The whole JSON body of one event."""
    return {
        "schema": SCHEMA,
        "id": str(uuid.uuid4()),
        "type": event_type,
        "occurred_at": _iso(now or utcnow()),
        "program": program,
        "data": data,
    }


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed (compact, keys sorted)."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def test_payload(target: WebhookTarget) -> dict[str, Any]:
    return envelope(TEST_EVENT, target.program, {"message": "a test event from icam-bot webhooks test"})


def enqueue_event(
    session: Session,
    programs: ProgramsConfig,
    event_type: str,
    program: str,
    data: dict[str, Any],
    *,
    item_id: int | None = None,
) -> int:
    """Write one delivery per webhook wanting ``event_type`` for ``program`` into the caller's transaction (so the
    change and the events it causes commit together); returns how many. One event id for all of them."""
    targets = programs.webhooks_for(event_type, program)
    if not targets:
        return 0
    now = utcnow()
    payload = envelope(event_type, program, data, now)
    for target in targets:
        session.add(
            WebhookDelivery(
                event_id=payload["id"],
                event_type=event_type,
                target=target.key,
                url=target.url,
                payload=payload,
                status=DeliveryStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                item_id=item_id,
                created_at=now,
            )
        )
    return len(targets)


def enqueue_item_event(
    session: Session, programs: ProgramsConfig, event_type: str, item: ItemFacts, actor: str | None
) -> int:
    """An ``item.*`` event about ``item``, in the caller's transaction."""
    data = item_data(item, sensitive=programs.is_sensitive(item.program), actor=actor)
    return enqueue_event(session, programs, event_type, item.program, data, item_id=item.id)
