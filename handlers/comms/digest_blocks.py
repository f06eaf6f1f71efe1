"""The weekly PMO digest in Block Kit. A pure builder: data in, dicts out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers.common.blocks import Block, context, divider, message, plain, sections
from handlers.common.text import escape, truncate
from icam_bot.analytics.summary import summary_lines
from icam_bot.comms.digest import Digest, EntryLine, ItemLine
from icam_bot.comms.digest_board import board_lines

RAG_EMOJI = {"GREEN": ":large_green_circle:", "AMBER": ":large_orange_circle:", "RED": ":red_circle:"}


def _item_lines(items: tuple[ItemLine, ...], total: int) -> str:
    lines = [f"• *{i.ref}* [{i.severity}] {escape(truncate(i.title, 120))} — {i.program}, {i.status}" for i in items]
    if total > len(items):
        lines.append(f"… and {total - len(items)} more")
    return "\n".join(lines)


def _entry_lines(entries: Sequence[EntryLine], total: int) -> str:
    lines = []
    for e in entries:
        due = f", review due {e.review_due.isoformat()}" if e.review_due else ""
        lines.append(f"• `{escape(e.id)}` {escape(truncate(e.question, 150))} ({escape(e.owner)}{due})")
    if total > len(entries):
        lines.append(f"… and {total - len(entries)} more")
    return "\n".join(lines)


def digest_board_blocks(digest: Digest) -> list[Block]:
    """The status-board section (the board's enterprise view)."""
    lines = board_lines(digest.board)
    if lines is None:
        return sections("*Status board*\n_The status board is unavailable._")
    rows = []
    for b in lines:
        rag = f"{RAG_EMOJI.get(b.rag, ':white_circle:')} {b.rag}" + (" (derived)" if b.rag_source == "derived" else "")
        nxt = escape(b.next_milestone) if b.next_milestone else "no open milestone"
        rows.append(
            f"• *{escape(b.name)}*: {rag} · next: {nxt} · {b.open_items} open, {b.open_risks} risks, "
            f"{b.overdue} overdue" + (f"\n   _{escape(truncate(b.note, 200))}_" if b.note else "")
        )
    return sections("*Status board*\n" + "\n".join(rows))


def digest_message(digest: Digest) -> dict[str, Any]:
    """The weekly digest for the PMO channel (at most 50 blocks; long sections are split)."""
    start = digest.period.start.strftime("%Y-%m-%d")
    end = digest.period.end.strftime("%Y-%m-%d")
    title = f"ICAM PMO weekly digest {digest.period.key}"
    blocks: list[Block] = [
        {"type": "header", "text": plain(title, 150)},
        context(f"Week {start} to {end} ({escape(digest.tz)})"),
        *digest_board_blocks(digest),
        divider(),
    ]
    opened = f"*Opened this week: {digest.opened_count}*"
    if digest.opened:
        opened += "\n" + _item_lines(digest.opened, digest.opened_count)
    resolved = f"*Resolved this week: {digest.resolved_count}*"
    if digest.resolved:
        resolved += "\n" + _item_lines(digest.resolved, digest.resolved_count)
    breaches = f"*SLA breaches this week: {digest.breach_count}* item(s) escalated by the SLA sweeper"
    breaches += "".join(
        f"\n• *{b.ref}* {escape(truncate(b.title, 120))} — {b.program}, escalated {b.escalations}×"
        for b in digest.breaches
    )
    breaches += f"\nNow {digest.open_now} open, {digest.overdue_now} overdue."
    unanswered = f"*Top unanswered questions this week: {len(digest.unanswered)}*" + "".join(
        f"\n• “{escape(truncate(q.text, 200))}” — asked {q.count}×"
        + (f", {q.pmo_requests} PMO request(s)" if q.pmo_requests else "")
        for q in digest.unanswered
    )
    if digest.entries_added is None:
        added = "*Knowledge entries added:* _no earlier digest recorded the knowledge base; counted from next week_"
    else:
        added = f"*Knowledge entries added since the last digest: {len(digest.entries_added)}*"
        if digest.entries_added:
            added += "\n" + _entry_lines(digest.entries_added[:10], len(digest.entries_added))
    due = f"*Knowledge entries due for review by the end of next week: {digest.entries_due_count}*"
    if digest.entries_due:
        due += "\n" + _entry_lines(digest.entries_due, digest.entries_due_count)
    answers = (
        "*Questions this week*\n" + "\n".join(escape(line) for line in summary_lines(digest.answers))
        if digest.answers is not None
        else ""
    )
    for text in (opened, resolved, breaches, answers, unanswered, added, due):
        if text:
            blocks += sections(text)
    summary = (
        f"{title}: {digest.opened_count} opened, {digest.resolved_count} resolved, "
        f"{digest.breach_count} SLA breaches, {len(digest.unanswered)} unanswered questions"
    )
    return message(summary, blocks)
