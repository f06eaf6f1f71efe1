"""Plain-text rendering of replies for a terminal."""

from __future__ import annotations

import re

from icam_bot.answers import RELATED_TEXT, Reply
from icam_bot.matching.engine import Decision

_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)\|([^>]+)>")
_CHANNEL = re.compile(r"<#C[A-Z0-9]+\|([^>]+)>")


def mrkdwn_to_text(text: str) -> str:
    """Make Slack mrkdwn readable in a terminal (links and channel references spelled out)."""
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    return _CHANNEL.sub(lambda m: f"#{m.group(1)}", text)


def format_reply(reply: Reply) -> str:
    """The reply as a person reads it in a terminal."""
    lines: list[str] = list(reply.notes)
    if reply.decision is Decision.ANSWER and reply.entry:
        lines.append(mrkdwn_to_text(reply.text))
        if reply.sources:
            lines.append("")
            lines.append("Sources:")
            lines.extend(f"  - {r.title}: {r.url}" for r in reply.sources)
        if reply.suggestions:
            lines.append("")
            lines.append("Related: " + "; ".join(s.question for s in reply.suggestions))
    elif reply.decision is Decision.SUGGEST:
        lines.append(reply.text)
        lines.extend(f"  {n}. {s.question}  [{s.id}]" for n, s in enumerate(reply.suggestions, 1))
    else:
        lines.append(mrkdwn_to_text(reply.text))
        if reply.suggestions:
            lines.append(RELATED_TEXT)
            lines.extend(f"  {n}. {s.question}  [{s.id}]" for n, s in enumerate(reply.suggestions, 1))
    return "\n".join(lines)
