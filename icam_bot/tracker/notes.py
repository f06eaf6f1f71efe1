"""Tracker notifications as outbox rows: written in the transaction of the change they report, read back
(the item as it was at that moment) by whichever replica delivers them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from icam_bot.outbox.models import OutboxMessage, OutboxStatus
from icam_bot.outbox.service import UPDATE_TOPIC, enqueue
from icam_bot.tracker.models import ItemKind, Severity, Status
from icam_bot.tracker.results import ItemView, Notification, NotificationKind

TOPIC = "tracker"
_DATETIMES = {f.name for f in dataclasses.fields(ItemView) if "datetime" in str(f.type)}
_ENUMS = {"kind": ItemKind, "severity": Severity, "status": Status}


#: The payload key of an edit of an item's triage post (an ``update`` row rendered when it is sent).
TRIAGE_EDIT = "triage_edit"


def item_payload(view: ItemView) -> dict[str, Any]:
    """The item as plain JSON values (read back by ``item_from_payload``)."""
    item = {}
    for field in dataclasses.fields(ItemView):
        value = getattr(view, field.name)
        item[field.name] = value.isoformat() if isinstance(value, dt.datetime) else value
    return item


def item_from_payload(data: dict[str, Any]) -> ItemView:
    raw = dict(data)
    for name in _DATETIMES:
        if raw.get(name) is not None:
            raw[name] = dt.datetime.fromisoformat(raw[name])
    for name, kind in _ENUMS.items():
        raw[name] = kind(raw[name])
    return ItemView(**raw)


def note_payload(note: Notification) -> dict[str, Any]:
    payload: dict[str, Any] = {"kind": note.kind.value, "detail": note.detail, "item": item_payload(note.item)}
    if note.actor:
        payload["actor"] = note.actor  # who acted: the message mentions them (bot-written)
    if note.text:
        payload["text"] = note.text  # what they wrote: shown escaped, kept apart from the tracker's words
    return payload


def note_from_payload(recipient: str, payload: dict[str, Any]) -> Notification:
    return Notification(
        recipient,
        NotificationKind(payload["kind"]),
        item_from_payload(payload["item"]),
        str(payload.get("detail") or ""),
        actor=str(payload["actor"]) if payload.get("actor") else None,
        text=str(payload.get("text") or ""),
    )


def enqueue_notes(session: Session, notes: Iterable[Notification]) -> None:
    """One outbox row per notification, in the caller's transaction."""
    for note in notes:
        enqueue(session, TOPIC, note.recipient, note_payload(note), item_id=note.item.id)


def triage_posts(session: Session, item_id: int) -> list[tuple[str, str]]:
    """(channel, ts) of the item's triage-channel posts the outbox has sent."""
    rows = session.execute(
        select(OutboxMessage.recipient, OutboxMessage.message_ts, OutboxMessage.payload).where(
            OutboxMessage.item_id == item_id,
            OutboxMessage.topic == TOPIC,
            OutboxMessage.status == OutboxStatus.SENT.value,
            OutboxMessage.message_ts.is_not(None),
        )
    )
    return [
        (recipient, ts)
        for recipient, ts, payload in rows
        if isinstance(payload, dict) and payload.get("kind") == NotificationKind.NEW_ITEM_CHANNEL.value
    ]


def enqueue_triage_edits(session: Session, view: ItemView, what: str, actor: str | None) -> int:
    """The edit of the item's triage post showing its new state (``what`` happened, by ``actor``), in the caller's
    transaction, as the buttons write it; returns how many. A later edit of the same message written in the same
    transaction (the button's own) supersedes it. A triage post not sent yet shows the state it was written with."""
    edits = 0
    for channel, ts in triage_posts(session, view.id):
        payload = {TRIAGE_EDIT: {"item": item_payload(view), "what": what, "actor": actor}}
        enqueue(session, UPDATE_TOPIC, channel, payload, item_id=view.id, target_ts=ts)
        edits += 1
    return edits
