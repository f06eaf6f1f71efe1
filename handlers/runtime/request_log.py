"""Log context for one Slack request: a request id and what the request is about (never its text)."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

from handlers.common.blocks import decode_value
from handlers.tracker.modals import ReasonModalMeta

ITEM_REF = re.compile(r"\bICAM-(\d{1,9})\b", re.IGNORECASE)
#: Slack ids and header values are short and plain; anything else is not worth a log field.
SAFE_VALUE = re.compile(r"^[A-Za-z0-9._:/-]{1,80}$")


def new_request_id(timestamp: str | None = None) -> str:
    """``<X-Slack-Request-Timestamp>-<random>`` (or just the random part when there is no timestamp).

    The random part correlates log lines, it guards nothing: it comes from the process's PRNG (no system call
    per request, unlike ``uuid4``)."""
    suffix = f"{random.getrandbits(48):012x}"
    return f"{timestamp}-{suffix}" if timestamp and timestamp.isdigit() else suffix


def _safe(value: object) -> str | None:
    return value if isinstance(value, str) and SAFE_VALUE.match(value) else None


def _item_id(body: Mapping[str, Any]) -> int | None:
    """The tracker item a command, button or reason modal is about, when it says."""
    text = body.get("text")
    if "command" in body and isinstance(text, str):
        found = ITEM_REF.search(text)
        return int(found.group(1)) if found else None
    for action in body.get("actions") or ():
        item = decode_value(action.get("value")).get("i") if isinstance(action, dict) else None
        if isinstance(item, int):
            return item
    view = body.get("view")
    meta = ReasonModalMeta.load(view.get("private_metadata")) if isinstance(view, dict) else None
    return meta.item_id if meta is not None else None


def slack_fields(body: Mapping[str, Any]) -> dict[str, object]:
    """event_id, command, user and item_id of a parsed Slack body (each only when present and plain)."""
    fields: dict[str, object] = {"item_id": _item_id(body)}
    if "command" in body:
        text = body.get("text")
        sub = text.split(None, 1)[0].lower() if isinstance(text, str) and text.strip() else ""
        command = _safe(body.get("command"))
        fields["command"] = f"{command} {_safe(sub) or ''}".strip() if command else None
        fields["user"] = _safe(body.get("user_id"))
        return fields
    kind = _safe(body.get("type"))
    if kind == "event_callback":
        event = body.get("event") if isinstance(body.get("event"), dict) else {}
        fields["event_id"] = _safe(body.get("event_id"))
        fields["command"] = f"event:{_safe(event.get('type')) or '?'}"
        fields["user"] = _safe(event.get("user"))
        return fields
    user = body.get("user")
    fields["user"] = _safe(user.get("id")) if isinstance(user, dict) else None
    actions = body.get("actions")
    view = body.get("view")
    detail = None
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        detail = _safe(actions[0].get("action_id"))
    elif isinstance(view, dict):
        detail = _safe(view.get("callback_id"))
    else:
        detail = _safe(body.get("callback_id"))
    fields["command"] = f"{kind}:{detail}" if kind and detail else kind
    return fields
