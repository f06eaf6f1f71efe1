"""Safe text for Slack: convert what users type into plain text, escape it on the way back, split long text."""

from __future__ import annotations

import re

from icam_bot.text.markup import markup_spans

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

#: Longest Slack text read for plain text: markup shrinks to its labels, and the result fills a 3,000-char input.
MAX_SLACK_TEXT = 4 * INPUT_LIMIT

_USER_ID = re.compile(r"[UW][A-Z0-9]+")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]+")
_SPECIAL_NAME = re.compile(r"[a-z]+")


def escape(text: str) -> str:
    """Escape &, < and > so user text can never form a mention, a link or a broadcast (<!channel>)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _readable(body: str, drop_user: str | None) -> str | None:
    """What one ``<body>`` of Slack markup reads as, or None when it is not markup (kept as typed)."""
    target, _, label = body.partition("|")
    if target.startswith("@"):
        if not _USER_ID.fullmatch(target[1:]):
            return None
        return "" if target[1:] == drop_user else "@someone"
    if target.startswith("!"):
        name = target[1:].partition("^")[0]
        return "@" + (label or name).lstrip("@") if _SPECIAL_NAME.fullmatch(name) else None
    if target.startswith("#"):
        return "#" + (label or target[1:]) if _CHANNEL_ID.fullmatch(target[1:]) else None
    if not target:
        return body or None  # "<|x>" reads "|x"; "<>" is not markup
    return label or target


def plain_text(slack_text: str, drop_user: str | None = None) -> str:
    """What a person typed, from Slack's encoded message text: mentions become names, links their labels.

    ``drop_user`` (the bot's own user id) is removed entirely, so "@icam-bot how do I…" becomes "how do I…".
    Linear in the length of the text, which is first cut to ``MAX_SLACK_TEXT`` (see ``markup_spans``).
    """
    parts: list[str] = []
    for literal, body in markup_spans(slack_text[:MAX_SLACK_TEXT]):
        parts.append(literal)
        if body is not None:
            readable = _readable(body, drop_user)
            parts.append(f"<{body}>" if readable is None else readable)
    return " ".join(unescape("".join(parts)).split())


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
