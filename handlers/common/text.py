"""Safe text for Slack: convert what users type into plain text, escape it on the way back, split long text."""

from __future__ import annotations

from icam_bot.text.markup import CHANNEL_ID, SPECIAL_NAME, USER_ID, Markup, MarkupKind, slack_markup

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


def escape(text: str) -> str:
    """Escape &, < and > so user text can never form a mention, a link or a broadcast (<!channel>)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _readable(markup: Markup, drop_user: str | None) -> str | None:
    """What one piece of Slack markup reads as, or None when it is not markup (kept as typed)."""
    kind, target, label = markup.kind, markup.target, markup.label
    if kind is MarkupKind.USER:
        if not USER_ID.fullmatch(target):
            return None
        return "" if target == drop_user else "@someone"
    if kind is MarkupKind.SPECIAL:
        return "@" + (label or target).lstrip("@") if SPECIAL_NAME.fullmatch(target) else None
    if kind is MarkupKind.CHANNEL:
        return "#" + (label or target) if CHANNEL_ID.fullmatch(target) else None
    if kind is MarkupKind.EMPTY:
        return markup.body or None  # "<|x>" reads "|x"; "<>" is not markup
    return label or target


def plain_text(slack_text: str, drop_user: str | None = None) -> str:
    """What a person typed, from Slack's encoded message text: mentions become names, links their labels.

    ``drop_user`` (the bot's own user id) is removed entirely, so "@icam-bot how do I…" becomes "how do I…".
    Linear in the length of the text, which is first cut to ``MAX_SLACK_TEXT`` (see ``icam_bot.text.markup``).
    """
    parts: list[str] = []
    for literal, markup in slack_markup(slack_text[:MAX_SLACK_TEXT]):
        parts.append(literal)
        if markup is not None:
            readable = _readable(markup, drop_user)
            parts.append(f"<{markup.body}>" if readable is None else readable)
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
