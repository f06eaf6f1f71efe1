"""Tracker notifications as outbox rows: written in the transaction of the change they report, read back
(the item as it was at that moment) by whichever replica delivers them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from icam_bot.outbox.service import enqueue
from icam_bot.tracker.models import ItemKind, Severity, Status
from icam_bot.tracker.results import ItemView, Notification, NotificationKind

TOPIC = "tracker"
_DATETIMES = {f.name for f in dataclasses.fields(ItemView) if "datetime" in str(f.type)}
_ENUMS = {"kind": ItemKind, "severity": Severity, "status": Status}


def note_payload(note: Notification) -> dict[str, Any]:
    item = {}
    for field in dataclasses.fields(ItemView):
        value = getattr(note.item, field.name)
        item[field.name] = value.isoformat() if isinstance(value, dt.datetime) else value
    payload: dict[str, Any] = {"kind": note.kind.value, "detail": note.detail, "item": item}
    if note.actor:
        payload["actor"] = note.actor  # who acted: the message mentions them (bot-written)
    if note.text:
        payload["text"] = note.text  # what they wrote: shown escaped, kept apart from the tracker's words
    return payload


def note_from_payload(recipient: str, payload: dict[str, Any]) -> Notification:
    raw = dict(payload["item"])
    for name in _DATETIMES:
        if raw.get(name) is not None:
            raw[name] = dt.datetime.fromisoformat(raw[name])
    for name, kind in _ENUMS.items():
        raw[name] = kind(raw[name])
    return Notification(
        recipient,
        NotificationKind(payload["kind"]),
        ItemView(**raw),
        str(payload.get("detail") or ""),
        actor=str(payload["actor"]) if payload.get("actor") else None,
        text=str(payload.get("text") or ""),
    )


def enqueue_notes(session: Session, notes: Iterable[Notification]) -> None:
    """One outbox row per notification, in the caller's transaction."""
    for note in notes:
        enqueue(session, TOPIC, note.recipient, note_payload(note), item_id=note.item.id)
