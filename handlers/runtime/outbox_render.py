"""Outbox rows as Slack messages: each topic's payload rendered by the same builders as before the outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from handlers.comms.blocks import announcement_message, channel_problems_message, delivery_report_message
from handlers.teaching.blocks import kb_answer_message
from handlers.tracker.blocks import notification_message, restricted_message, triage_message
from icam_bot.comms.announcements import AnnouncementView
from icam_bot.comms.digest_outbox import TOPIC as DIGEST_TOPIC
from icam_bot.comms.outbox import POST_TOPIC, REPORT_TOPIC, report_from_payload
from icam_bot.outbox.service import Claimed
from icam_bot.teaching.records import TOPIC as TEACHING_TOPIC
from icam_bot.tracker.notes import TOPIC as TRACKER_TOPIC
from icam_bot.tracker.notes import TRIAGE_EDIT, item_from_payload, note_from_payload

#: A row whose topic only a newer version knows is left for that version (retried, then failed).
UNKNOWN_TOPIC = "unknown_topic"


def render(
    row: Claimed, programs: Mapping[str, str], restricted: Callable[[str | None, str], bool] | None = None
) -> dict[str, Any] | None:
    """The chat.postMessage arguments (besides the channel) for ``row``, or None for an unknown topic.
    ``restricted(recipient, program)``: a sensitive program's item in a channel, shown as "ICAM-n (restricted)"
    (decided when the message is sent, from the routing file in force)."""
    if row.topic == TRACKER_TOPIC:
        note = note_from_payload(row.recipient, row.payload)
        hidden = restricted is not None and restricted(note.recipient, note.item.program)
        return notification_message(note, restricted=hidden)
    if row.topic == POST_TOPIC:
        data = dict(row.payload["announcement"])
        data["created_at"] = dt.datetime.fromisoformat(data["created_at"])
        return announcement_message(AnnouncementView(**data), programs)
    if row.topic == REPORT_TOPIC:
        report = report_from_payload(row.payload)
        return channel_problems_message(report) if row.payload.get("problems") else delivery_report_message(report)
    if row.topic == TEACHING_TOPIC:
        return kb_answer_message(row.payload)
    if row.topic == DIGEST_TOPIC:  # rendered when the digest was composed
        return dict(row.payload["message"])
    return None


def render_edit(row: Claimed, restricted: Callable[[str | None, str], bool] | None = None) -> dict[str, Any]:
    """The chat.update arguments (besides channel and ts) of an edit row: the message it carries, or an item's
    triage post showing its new state (rendered now, restricted as the channel requires)."""
    if "message" in row.payload:
        return dict(row.payload["message"])
    edit = row.payload[TRIAGE_EDIT]
    item = item_from_payload(edit["item"])
    what, actor = edit.get("what"), edit.get("actor")
    if restricted is not None and restricted(row.recipient, item.program):
        return restricted_message(item, last_action=what, actor=actor)
    return triage_message(item, what, actor)
