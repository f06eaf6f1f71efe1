"""A tracker item from a message someone reacted to: its submission, its idempotency key (one item per message),
and text made inert (no mentions, no spreadsheet formulas)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from icam_bot.textclean import clean_text
from icam_bot.tracker.export import FORMULA_STARTS
from icam_bot.tracker.idempotency import stored_item
from icam_bot.tracker.submission import MAX_DESCRIPTION_CHARS, NewItem

TITLE_CHARS = 80
UNTITLED = "Message flagged for the ICAM PMO"
ORIGIN_NOTE = "Created from a Slack message by a reaction; the link goes back to the message."


def reaction_key(channel: str, ts: str) -> str:
    """The item's idempotency key: a second reaction on the same message finds the item made by the first."""
    return f"reaction:{channel}:{ts}"[:128]


def inert(text: str) -> str:
    """Text that can neither mention anyone (``<``/``>`` removed: callers pass text whose Slack markup was already
    read as plain names) nor start a spreadsheet formula (a leading ``= + - @`` gets a single quote)."""
    cleaned = clean_text(text).replace("<", "‹").replace(">", "›").strip()
    lines = [("'" + line) if line.lstrip().startswith(FORMULA_STARTS) else line for line in cleaned.split("\n")]
    return "\n".join(lines)


def ticket_from_message(
    text: str, reporter: str, channel: str, ts: str, *, permalink: str | None, program: str
) -> NewItem:
    """The submission for the message ``ts`` in ``channel`` (its plain text), reported by whoever reacted."""
    body = inert(text)
    first = next((line.strip() for line in body.split("\n") if line.strip()), "")
    title = first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1].rstrip() + "…"
    description = f"{body or UNTITLED}\n\n{ORIGIN_NOTE}"
    return NewItem(
        kind="issue",
        title=title or UNTITLED,
        description=description[:MAX_DESCRIPTION_CHARS],
        program=program,
        severity="medium",
        reporter_id=reporter,
        channel_id=channel,
        thread_ts=ts,
        permalink=permalink,
    )


def tracked_ref(sessions: sessionmaker[Session], channel: str, ts: str) -> str | None:
    """``ICAM-<n>`` when the message already became an item, else None."""
    with sessions() as session:
        item_id = stored_item(session, (reaction_key(channel, ts),))
    return f"ICAM-{item_id}" if item_id is not None else None
