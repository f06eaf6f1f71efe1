"""Block Kit primitives shared by the builders; every builder returns plain dicts and never calls Slack."""

from __future__ import annotations

import json
from typing import Any

from handlers.common.text import (
    BUTTON_TEXT_LIMIT,
    BUTTON_VALUE_LIMIT,
    FALLBACK_TEXT_LIMIT,
    MESSAGE_BLOCK_LIMIT,
    SECTION_TEXT_LIMIT,
    escape,
    split_text,
    truncate,
)

Block = dict[str, Any]

#: Shared by every domain: a reply when something failed on our side.
ERROR_TEXT = "Sorry, something went wrong on my side. Please try again in a minute."
#: Replies to "log my question for the ICAM PMO" (the answer's button, the message shortcut).
LOGGED_TEXT = (
    ":white_check_mark: Logged for the ICAM PMO. A person will look at it, and the answer may be added to the "
    "knowledge base."
)
NOTHING_TO_LOG_TEXT = "That message has no text I can log. Try asking me the question in words."
LOGGED_ECHO_LIMIT = 300


def mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def plain(text: str, limit: int | None = None) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit) if limit else text, "emoji": True}


def sections(text: str) -> list[Block]:
    """One or more section blocks holding ``text`` (each <= 3,000 characters)."""
    return [{"type": "section", "text": mrkdwn(chunk)} for chunk in split_text(text, SECTION_TEXT_LIMIT)]


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(truncate(t, SECTION_TEXT_LIMIT)) for t in texts[:10]]}


def button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": plain(label, BUTTON_TEXT_LIMIT),
        "action_id": action_id,
        "value": value[:BUTTON_VALUE_LIMIT],
    }
    if style:
        element["style"] = style
    return element


def actions(block_id: str, elements: list[Block]) -> Block:
    return {"type": "actions", "block_id": block_id, "elements": elements[:25]}


def divider() -> Block:
    return {"type": "divider"}


def encode_value(**fields: str | int | None) -> str:
    """A compact JSON button value (Slack allows 2,000 characters)."""
    return json.dumps({k: v for k, v in fields.items() if v is not None}, separators=(",", ":"))


def decode_value(value: object) -> dict[str, Any]:
    """The fields of a button value; {} for anything malformed (values come back from Slack as strings)."""
    if not isinstance(value, str):
        return {}
    try:
        decoded = json.loads(value)
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def message(text: str, blocks: list[Block]) -> dict[str, Any]:
    """A message payload within Slack's limits: at most 50 blocks, fallback text <= 4,000 characters."""
    if len(blocks) > MESSAGE_BLOCK_LIMIT:
        blocks = [*blocks[: MESSAGE_BLOCK_LIMIT - 1], context("_Message shortened to fit Slack's limits._")]
    return {"text": truncate(text, FALLBACK_TEXT_LIMIT), "blocks": blocks}


def text_message(text: str) -> dict[str, Any]:
    """A one-section message (confirmations, errors)."""
    return message(text, sections(text))


def logged_message(question: str) -> dict[str, Any]:
    """The question was logged for the ICAM PMO (its text echoed, escaped, so it can ping nobody)."""
    return message(
        LOGGED_TEXT, [*sections(LOGGED_TEXT), context(f"Logged: _{escape(truncate(question, LOGGED_ECHO_LIMIT))}_")]
    )
