"""The digest as plain text (``icam-bot digest --dry-run``): the same Digest the Slack message is built from."""

from __future__ import annotations

from icam_bot.analytics.summary import summary_lines
from icam_bot.comms.digest import Digest, EntryLine, ItemLine
from icam_bot.comms.digest_board import board_lines


def _when(digest: Digest) -> str:
    start = digest.period.start.strftime("%Y-%m-%d %H:%M UTC")
    end = digest.period.end.strftime("%Y-%m-%d %H:%M UTC")
    return f"{start} to {end}"


def _items(lines: tuple[ItemLine, ...], total: int) -> list[str]:
    out = [f"  - {i.ref} [{i.severity}] {i.title} ({i.program}, {i.status})" for i in lines]
    if total > len(lines):
        out.append(f"  ... and {total - len(lines)} more")
    return out


def _entries(lines: tuple[EntryLine, ...], total: int | None = None) -> list[str]:
    out = [
        f"  - {e.id}: {e.question} (owner {e.owner}"
        + (f", review due {e.review_due.isoformat()})" if e.review_due else ")")
        for e in lines
    ]
    if total is not None and total > len(lines):
        out.append(f"  ... and {total - len(lines)} more")
    return out


def board_text(digest: Digest) -> list[str]:
    """The status-board section."""
    lines = board_lines(digest.board)
    out = ["STATUS BOARD"]
    if lines is None:
        return [*out, "  The status board is unavailable."]
    for b in lines:
        rag = b.rag + (" (derived)" if b.rag_source == "derived" else "")
        nxt = b.next_milestone or "no open milestone"
        out.append(
            f"  - {b.name}: {rag}; next: {nxt}; {b.open_items} open item(s), {b.open_risks} open risk(s), "
            f"{b.overdue} overdue"
        )
        if b.note:
            out.append(f"      note: {b.note}")
    return out


def digest_text(digest: Digest) -> str:
    """Every section of the digest, one after the other."""
    out = [f"ICAM PMO weekly digest {digest.period.key} ({_when(digest)})", ""]
    out += board_text(digest)
    out += ["", f"ITEMS OPENED THIS WEEK: {digest.opened_count}", *_items(digest.opened, digest.opened_count)]
    out += ["", f"ITEMS RESOLVED THIS WEEK: {digest.resolved_count}", *_items(digest.resolved, digest.resolved_count)]
    out += ["", f"SLA BREACHES THIS WEEK: {digest.breach_count} item(s) escalated by the SLA sweeper"]
    out += [f"  - {b.ref} {b.title} ({b.program}): escalated {b.escalations}x" for b in digest.breaches]
    out.append(f"  Now: {digest.open_now} open item(s), {digest.overdue_now} overdue")
    out += ["", f"TOP UNANSWERED QUESTIONS THIS WEEK: {len(digest.unanswered)}"]
    out += [
        f"  - {q.text!r}: asked {q.count}x by {q.askers} person(s), {q.pmo_requests} PMO request(s)"
        for q in digest.unanswered
    ]
    if digest.answers is not None:
        out += ["", "QUESTIONS THIS WEEK", *(f"  {line}" for line in summary_lines(digest.answers))]
    out.append("")
    if digest.entries_added is None:
        out.append("KNOWLEDGE ENTRIES ADDED: no earlier digest recorded the knowledge base; counted from the next one")
    else:
        out += [f"KNOWLEDGE ENTRIES ADDED SINCE THE LAST DIGEST: {len(digest.entries_added)}"]
        out += _entries(digest.entries_added[:10], len(digest.entries_added))
    out += ["", f"KNOWLEDGE ENTRIES DUE FOR REVIEW (by the end of next week): {digest.entries_due_count}"]
    out += _entries(digest.entries_due, digest.entries_due_count)
    return "\n".join(out) + "\n"
