"""Safe text for Slack: convert what users type into plain text, escape it on the way back, split long text."""

from __future__ import annotations

import re

#: Slack's limits that the builders respect.
SECTION_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
#: Slack's plain_text_input allows at most 3,000 characters.
INPUT_LIMIT = 3000
MODAL_TITLE_LIMIT = 24
FALLBACK_TEXT_LIMIT = 4000

_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_SPECIAL_MENTION = re.compile(r"<!([a-z]+)(?:\^[^|>]*)?(?:\|([^>]*))?>")
_CHANNEL_LINK = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<([^@#!>][^|>]*)(?:\|([^>]*))?>")


def escape(text: str) -> str:
    """Escape &, < and > so user text can never form a mention, a link or a broadcast (<!channel>)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain_text(slack_text: str, drop_user: str | None = None) -> str:
    """What a person typed, from Slack's encoded message text: mentions become names, links their labels.

    ``drop_user`` (the bot's own user id) is removed entirely, so "@icam-bot how do I…" becomes "how do I…".
    """

    def user(match: re.Match[str]) -> str:
        return "" if match.group(1) == drop_user else "@someone"

    text = _USER_MENTION.sub(user, slack_text)
    text = _SPECIAL_MENTION.sub(lambda m: "@" + (m.group(2) or m.group(1)).lstrip("@"), text)
    text = _CHANNEL_LINK.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return " ".join(unescape(text).split())


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_text(text: str, limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """Split text into chunks of at most ``limit`` characters, preferring paragraph, line, then word breaks."""
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = limit
        for separator in ("\n\n", "\n", " "):
            index = window.rfind(separator)
            if index >= limit // 2:
                cut = index
                break
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks
