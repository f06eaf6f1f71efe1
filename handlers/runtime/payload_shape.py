"""The shape of what Slack sends, checked before any listener sees it: a payload of the wrong shape is the
sender's fault (HTTP 400), never a crash in a listener (500) or a listener that dies after its ack (404).

Every id the app uses as a key (event ids, user, channel and view ids, action and callback ids) is bounded
here, so an oversized id cannot slip past a database key (e.g. the duplicate-event check) or fill a log.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

#: Slack ids (users, channels, teams, views, events): short, letters and digits. Bounded by the columns
#: that store them (``processed_events.event_id`` is 64, user and channel ids 32).
SLACK_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
EVENT_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
#: Slack's own limits on developer-chosen ids and values.
ACTION_ID_LIMIT = 255
VALUE_LIMIT = 2000
METADATA_LIMIT = 3000
URL_LIMIT = 2000
TEXT_LIMIT = 40_000
#: Event types whose fields the app reads; other events need only a type (Slack may add fields freely).
READ_EVENTS = ("app_mention", "message", "app_home_opened")
INTERACTIVE_KINDS = ("block_actions", "shortcut", "message_action", "view_submission", "view_closed")

Problem = str | None


def shape_problem(body: object) -> Problem:
    """Why a parsed request body cannot be a well-formed Slack request, or None when it can be one."""
    if not isinstance(body, dict) or not body:
        return "malformed_body"
    if "command" in body:
        return _command_problem(body)
    if body.get("ssl_check") == "1":
        return None  # Slack's certificate check of the slash command URL: Bolt answers it with 200
    kind = body.get("type")
    if not isinstance(kind, str):
        return "missing_type"
    if kind == "event_callback":
        return _event_problem(body)
    if kind in INTERACTIVE_KINDS:
        return _interactive_problem(kind, body)
    return None


# -- helpers -------------------------------------------------------------------------------------------------


def _optional_str(value: object, limit: int) -> bool:
    """None, or a string of at most ``limit`` characters."""
    return value is None or (isinstance(value, str) and len(value) <= limit)


def _id(value: object, pattern: re.Pattern[str] = SLACK_ID_RE) -> bool:
    return isinstance(value, str) and bool(pattern.match(value))


def _optional_id(value: object) -> bool:
    return value is None or value == "" or _id(value)


def _optional_dict(value: object) -> bool:
    return value is None or isinstance(value, dict)


def _strings(data: Mapping[str, Any], limits: Mapping[str, int]) -> bool:
    """Each named key is absent, None or a string within its limit."""
    return all(_optional_str(data.get(key), limit) for key, limit in limits.items())


# -- slash commands and events ---------------------------------------------------------------------------------


def _command_problem(body: dict[str, Any]) -> Problem:
    if not isinstance(body.get("command"), str):
        return "malformed_command"
    if not _optional_id(body.get("user_id")) or not _optional_id(body.get("channel_id")):
        return "malformed_ids"
    if not _strings(body, {"text": TEXT_LIMIT, "response_url": URL_LIMIT, "trigger_id": ACTION_ID_LIMIT}):
        return "malformed_command"
    return None


def _event_problem(body: dict[str, Any]) -> Problem:
    event = body.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return "malformed_event"
    event_id = body.get("event_id")
    if event_id is not None and not _id(event_id, EVENT_ID_RE):
        return "malformed_event_id"
    if event["type"] not in READ_EVENTS:
        return None
    if not _optional_id(event.get("user")) or not _optional_id(event.get("channel")):
        return "malformed_event_ids"
    limits = {"text": TEXT_LIMIT, "ts": 64, "thread_ts": 64, "subtype": 64, "bot_id": 64, "channel_type": 64}
    if not _strings(event, limits) or not _strings(event, {"tab": 64, "event_ts": 64}):
        return "malformed_event"
    return None


# -- interactivity ---------------------------------------------------------------------------------------------


def _interactive_problem(kind: str, body: dict[str, Any]) -> Problem:
    user = body.get("user")
    if not isinstance(user, dict) or not _id(user.get("id")):
        return "malformed_user"
    if not _strings(body, {"response_url": URL_LIMIT, "trigger_id": ACTION_ID_LIMIT}):
        return "malformed_payload"
    channel = body.get("channel")
    if not _optional_dict(channel) or (isinstance(channel, dict) and not _optional_id(channel.get("id"))):
        return "malformed_channel"
    container = body.get("container")
    if not _optional_dict(container) or (
        isinstance(container, dict)
        and not (_optional_id(container.get("channel_id")) and _strings(container, {"message_ts": 64, "type": 64}))
    ):
        return "malformed_container"
    message = body.get("message")
    if not _optional_dict(message) or (
        isinstance(message, dict) and not _strings(message, {"text": TEXT_LIMIT, "ts": 64, "thread_ts": 64})
    ):
        return "malformed_message"
    check = _KIND_CHECKS.get(kind)
    return check(body) if check else None


def _actions_problem(body: dict[str, Any]) -> Problem:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not all(isinstance(a, dict) for a in actions):
        return "malformed_actions"
    for action in actions:
        action_id = action.get("action_id")
        if not isinstance(action_id, str) or not 0 < len(action_id) <= ACTION_ID_LIMIT:
            return "malformed_action_id"
        if not _strings(action, {"block_id": ACTION_ID_LIMIT, "value": VALUE_LIMIT}):
            return "malformed_action"
        if not _element_ok(action):
            return "malformed_action"
    return None


def _shortcut_problem(body: dict[str, Any]) -> Problem:
    callback_id = body.get("callback_id")
    if not isinstance(callback_id, str) or not 0 < len(callback_id) <= ACTION_ID_LIMIT:
        return "malformed_callback_id"
    if body.get("type") == "message_action" and not isinstance(body.get("message"), dict):
        return "malformed_message"
    return None


def _view_problem(body: dict[str, Any]) -> Problem:
    view = body.get("view")
    if not isinstance(view, dict):
        return "malformed_view"
    if not _optional_id(view.get("id")):
        return "malformed_view_id"
    if not _strings(view, {"callback_id": ACTION_ID_LIMIT, "private_metadata": METADATA_LIMIT, "hash": 128}):
        return "malformed_view"
    state = view.get("state")
    if state is None:
        return None
    if not isinstance(state, dict) or not _optional_dict(state.get("values")):
        return "malformed_view_state"
    for block in (state.get("values") or {}).values():
        if not isinstance(block, dict) or not all(_element_ok(element) for element in block.values()):
            return "malformed_view_state"
    return None


def _element_ok(element: object) -> bool:
    """An input element's submitted state: the value keys the app reads have the types Slack gives them."""
    if not isinstance(element, dict):
        return False
    scalar = {"value": TEXT_LIMIT, "selected_user": 32, "selected_date": 16, "selected_channel": 32, "type": 64}
    if not _strings(element, scalar) or not _strings(element, {"selected_conversation": 32, "selected_time": 16}):
        return False
    option = element.get("selected_option")
    if not _optional_dict(option) or (isinstance(option, dict) and not _strings(option, {"value": VALUE_LIMIT})):
        return False
    options = element.get("selected_options")
    if options is None:
        return True
    return isinstance(options, list) and all(
        isinstance(o, dict) and _strings(o, {"value": VALUE_LIMIT}) for o in options
    )


_KIND_CHECKS: dict[str, Callable[[dict[str, Any]], Problem]] = {
    "block_actions": _actions_problem,
    "shortcut": _shortcut_problem,
    "message_action": _shortcut_problem,
    "view_submission": _view_problem,
    "view_closed": _view_problem,
}
