"""Signed requests shaped like the ones Slack sends: events, slash commands and interactivity payloads."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from fake_slack import BOT_USER_ID, TEAM_ID

from handlers.common.ids import ActionId

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
_event_ids = itertools.count(1)


def signature_headers(body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def new_event_id() -> str:
    return f"Ev{next(_event_ids):010d}"


def event_callback(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "token": "verification-token-unused",
        "team_id": TEAM_ID,
        "api_app_id": "A0000001",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-eyJldCI6ImFwcF9tZW50aW9uIn0",
    }


def app_mention(
    text: str,
    user: str = "U0000STAFF",
    channel: str = "C0000CHAN",
    ts: str = "1700000000.000100",
    thread_ts: str | None = None,
) -> dict[str, Any]:
    event = {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "client_msg_id": "5b1c1a8e-0000-4000-8000-000000000001",
        "team": TEAM_ID,
        "blocks": [],
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def _message(
    channel_type: str, text: str, user: str, channel: str, ts: str, msg_id: str, extra: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": channel_type,
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "team": TEAM_ID,
        "client_msg_id": f"5b1c1a8e-0000-4000-8000-{msg_id}",
        **extra,
    }


def direct_message(
    text: str, user: str = "U0000STAFF", channel: str = "D0000DM01", ts: str = "1700000001.000200", **extra: Any
) -> dict[str, Any]:
    """A direct message to the bot (event ``message.im``)."""
    return _message("im", text, user, channel, ts, "000000000002", extra)


def channel_message(
    text: str, user: str = "U0000STAFF", channel: str = "C0000HELP", ts: str = "1700000005.000600", **extra: Any
) -> dict[str, Any]:
    """A message posted in a public channel the bot is in (event ``message.channels``)."""
    return _message("channel", text, user, channel, ts, "000000000003", extra)


def reaction_added(
    reaction: str, user: str = "U0000STAFF", channel: str = "C0000HELP", ts: str = "1700000005.000600"
) -> dict[str, Any]:
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": reaction,
        "item_user": "U0000AUTH",
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": "1700000009.000900",
    }


def app_home_opened(user: str = "U0000STAFF") -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0000DM01",
        "tab": "home",
        "event_ts": "1700000002.000300",
    }


def slash_command(
    text: str,
    response_url: str,
    user: str = "U0000STAFF",
    command: str = "/icam",
    channel: str = "C0000CHAN",
    trigger_id: str = "1337.42.abcdef",
) -> str:
    """The form body Slack posts for a slash command (Slack gives every invocation its own ``trigger_id``)."""
    return urlencode(
        {
            "token": "verification-token-unused",
            "team_id": TEAM_ID,
            "team_domain": "example",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": "staff",
            "command": command,
            "text": text,
            "api_app_id": "A0000001",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def _user(user: str) -> dict[str, str]:
    return {"id": user, "username": "staff", "name": "staff", "team_id": TEAM_ID}


def block_actions(
    action: dict[str, Any],
    response_url: str,
    user: str = "U0000STAFF",
    channel: str = "C0000CHAN",
    message_ts: str = "1700000003.000400",
    thread_ts: str | None = None,
    ephemeral: bool = False,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": "BBOT0001",
        "ts": message_ts,
        "text": "answer",
        "blocks": [],
    }
    if thread_ts:
        message["thread_ts"] = thread_ts
    container = {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": ephemeral}
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user),
        "api_app_id": "A0000001",
        "token": "unused",
        "container": container,
        "trigger_id": "1337.42.abcdef",
        "team": {"id": TEAM_ID, "domain": "example"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "general"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "block_id": "b1",
                "text": {"type": "plain_text", "text": "x"},
                "action_ts": "1700000004.000500",
                **action,
            }
        ],
    }
    if not ephemeral:
        payload["message"] = message
    return payload


def message_shortcut(
    text: str,
    response_url: str,
    user: str = "U0000STAFF",
    channel: str = "C0000CHAN",
    message_ts: str = "1700000005.000600",
    callback_id: str = "icam_send_to_pmo",
) -> dict[str, Any]:
    return {
        "type": "message_action",
        "token": "unused",
        "action_ts": "1700000006.000700",
        "team": {"id": TEAM_ID, "domain": "example"},
        "user": _user(user),
        "channel": {"id": channel, "name": "general"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": "1337.42.abcdef",
        "response_url": response_url,
        "message_ts": message_ts,
        "message": {
            "type": "message",
            "user": "U0000OTHER",
            "text": text,
            "ts": message_ts,
            "client_msg_id": "5b1c1a8e-0000-4000-8000-000000000003",
        },
    }


def modal_state(**fields: dict[str, Any]) -> dict[str, Any]:
    """A modal's ``state``: each block id mapped to its one input element (action id ``ActionId.FIELD``)."""
    return {"values": {block: {ActionId.FIELD: element} for block, element in fields.items()}}


def view_submission(
    callback_id: str, view_state: dict[str, Any] | None = None, metadata: str = "", user: str = "U0000STAFF"
) -> dict[str, Any]:
    """A modal submitted: ``view_state`` is the view's ``state`` (``modal_state`` builds one)."""
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "example"},
        "user": _user(user),
        "api_app_id": "A0000001",
        "token": "unused",
        "trigger_id": "1337.42.abcdef",
        "view": {
            "id": "V0000002",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": metadata,
            "state": {"values": {}} if view_state is None else view_state,
            "hash": "1700000007.abc",
            "title": {"type": "plain_text", "text": "x"},
            "blocks": [],
        },
        "response_urls": [],
        "is_enterprise_install": False,
    }


def interactive_body(payload: dict[str, Any]) -> str:
    """The form body Slack posts for interactivity: ``payload=<json>``."""
    return urlencode({"payload": json.dumps(payload)})
