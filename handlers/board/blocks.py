"""Program status board messages: the enterprise view, a program's drill-down, top risks, edit confirmations.

``enterprise_blocks`` / ``enterprise_text`` render the enterprise view alone, for embedding elsewhere (the
weekly digest); ``enterprise_message`` is the full ``/icam status`` reply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from handlers.common.blocks import Block, context, divider, message, sections
from handlers.common.ids import SLASH_COMMAND
from handlers.common.text import escape, truncate
from icam_bot.board.models import Rag, WorkStatus
from icam_bot.board.results import (
    BoardEventView,
    EditResult,
    EnterpriseView,
    MilestoneView,
    ProgramSummary,
    ProgramView,
    RagSource,
    RiskView,
    WorkstreamView,
)
from icam_bot.tracker.models import Severity

RAG_EMOJI = {Rag.GREEN: ":large_green_circle:", Rag.AMBER: ":large_orange_circle:", Rag.RED: ":red_circle:"}
STATUS_LABEL = {
    WorkStatus.PLANNED: "planned",
    WorkStatus.IN_PROGRESS: "in progress",
    WorkStatus.DONE: "done",
    WorkStatus.CANCELLED: "cancelled",
}
#: Milestones listed in a drill-down (open first, then recently finished).
MILESTONE_LINES = 25
NAME_LIMIT = 120
NOTE_LIMIT = 200


def rag_label(rag: Rag | None, source: RagSource = RagSource.PMO) -> str:
    """``:red_circle: red`` (emoji plus word: never colour alone), with where a program RAG comes from."""
    if rag is None:
        return ":white_circle: not rated"
    origin = {RagSource.PMO: " (PMO)", RagSource.DERIVED: " (derived)", RagSource.NONE: ""}[source]
    return f"{RAG_EMOJI[rag]} {rag.value}{origin}"


def _date(day: dt.date | None) -> str:
    return day.isoformat() if day else "no date"


def _who(user: str | None) -> str:
    return f"<@{user}>" if user else "no owner"


def by_severity(counts: Mapping[Severity, int]) -> str:
    """``2 critical, 1 high`` (worst first, zeros left out), or ``none``."""
    parts = [f"{counts.get(s, 0)} {s.value}" for s in reversed(Severity) if counts.get(s, 0)]
    return ", ".join(parts) or "none"


def milestone_line(milestone: MilestoneView, today: dt.date) -> str:
    late = " :warning: *overdue*" if milestone.is_overdue(today) else ""
    stream = f" [{escape(truncate(milestone.workstream, 60))}]" if milestone.workstream else ""
    note = f" — _{escape(truncate(milestone.note, NOTE_LIMIT))}_" if milestone.note else ""
    return (
        f"• {RAG_EMOJI[milestone.rag]} *{escape(truncate(milestone.name, NAME_LIMIT))}*{stream} · due "
        f"{_date(milestone.due_date)} · {STATUS_LABEL[milestone.status]} · {_who(milestone.owner_id)}{late}{note}"
    )


def summary_text(summary: ProgramSummary, today: dt.date) -> str:
    """One program's block of the enterprise view."""
    lines = [f"*{escape(summary.name)}* (`{summary.slug}`) · {rag_label(summary.rag, summary.rag_source)}"]
    if summary.note:
        lines[0] += f" — _{escape(truncate(summary.note, NOTE_LIMIT))}_"
    upcoming = summary.next_milestone
    if upcoming is not None:
        lines.append(
            f"Next milestone: *{escape(truncate(upcoming.name, NAME_LIMIT))}* due {_date(upcoming.due_date)} "
            f"({_who(upcoming.owner_id)})"
        )
    else:
        lines.append("Next milestone: none scheduled")
    overdue = f"{summary.overdue_items} item(s), {summary.overdue_milestones} milestone(s)"
    flag = " :warning:" if summary.overdue else ""
    lines.append(
        f"Open items: {by_severity(summary.open_items)} · Open risks: {by_severity(summary.open_risks)} · "
        f"Overdue: {overdue}{flag}"
    )
    return "\n".join(lines)


def enterprise_text(view: EnterpriseView) -> str:
    """The enterprise view as mrkdwn text, programs in routing-file order (for a digest or a fallback)."""
    heading = f"*ICAM program status board* · {view.today.isoformat()}"
    return "\n\n".join([heading, *(summary_text(p, view.today) for p in view.programs)])


def enterprise_blocks(view: EnterpriseView) -> list[Block]:
    """The enterprise view as blocks (one section per program), for the reply or for embedding in a digest."""
    blocks: list[Block] = [*sections(f"*ICAM program status board* · {view.today.isoformat()}")]
    for summary in view.programs:
        blocks.append(divider())
        blocks.extend(sections(summary_text(summary, view.today)))
    return blocks


def enterprise_message(view: EnterpriseView) -> dict[str, Any]:
    """The ``/icam status`` reply: the enterprise view and how to drill down."""
    blocks = enterprise_blocks(view)
    blocks.append(
        context(
            f"Drill into a program: `{SLASH_COMMAND} status <program>` · top risks: `{SLASH_COMMAND} risks` · "
            "RAG (PMO) is set by the ICAM PMO; (derived) is the worst RAG of open milestones and workstreams, "
            "red when a milestone is overdue."
        )
    )
    return message(enterprise_text(view), blocks)


def _workstream_line(stream: WorkstreamView) -> str:
    due = f" · due {_date(stream.due_date)}" if stream.due_date else ""
    note = f" — _{escape(truncate(stream.note, NOTE_LIMIT))}_" if stream.note else ""
    return (
        f"• {RAG_EMOJI[stream.rag]} *{escape(truncate(stream.name, NAME_LIMIT))}* · "
        f"{STATUS_LABEL[stream.status]} · {_who(stream.owner_id)}{due}{note}"
    )


def risk_line(rank: int, risk: RiskView, *, with_program: bool = True) -> str:
    where = f" · {risk.program}" if with_program else ""
    mitigation = f"<@{risk.mitigation_owner_id}>" if risk.mitigation_owner_id else "not assigned"
    return (
        f"{rank}. *{risk.ref}* score *{risk.score}* ({risk.likelihood}×{risk.impact}) "
        f"{escape(truncate(risk.title, NAME_LIMIT))}{where} · {risk.severity.value} · owner <@{risk.owner_id}> · "
        f"mitigation: {mitigation}"
    )


def change_line(event: BoardEventView) -> str:
    """``<@U1> changed milestone 'X' rag: green → red · 2027-01-02``."""
    name = escape(truncate(event.target_name, 80))
    what = f"{event.action} {event.target} *{name}*"
    if event.field:
        before = escape(truncate(event.before or "—", 80))
        after = escape(truncate(event.after or "—", 80))
        what += f" {event.field}: {before} → {after}"
    elif event.after:
        what += f" ({escape(truncate(event.after, 120))})"
    return f"<@{event.actor_id}> {what} · {event.created_at.strftime('%Y-%m-%d %H:%M UTC')}"


def program_message(view: ProgramView) -> dict[str, Any]:
    """The ``/icam status <program>`` reply."""
    summary = view.summary
    blocks: list[Block] = [*sections(summary_text(summary, view.today))]
    if view.workstreams:
        blocks.append(divider())
        lines = "\n".join(_workstream_line(w) for w in view.workstreams)
        blocks.extend(sections(f"*Workstreams*\n{lines}"))
    blocks.append(divider())
    shown: Sequence[MilestoneView] = view.milestones[:MILESTONE_LINES]
    if shown:
        more = len(view.milestones) - len(shown)
        tail = f"\n_…and {more} more (`icam-bot programs export` lists all)_" if more else ""
        lines = "\n".join(milestone_line(m, view.today) for m in shown)
        blocks.extend(sections(f"*Milestones*\n{lines}{tail}"))
    else:
        blocks.extend(sections("*Milestones*\nNone recorded yet."))
    blocks.append(divider())
    if view.risks is None:
        blocks.append(context("Risk details are for ICAM PMO and ESC members and this program's staff."))
    elif view.risks:
        lines = "\n".join(risk_line(n, r, with_program=False) for n, r in enumerate(view.risks, 1))
        blocks.extend(sections(f"*Top risks*\n{lines}"))
    else:
        blocks.extend(sections("*Top risks*\nNo open scored risks."))
    if view.changes:
        blocks.append(context("*Recent changes*\n" + "\n".join(change_line(e) for e in view.changes)))
    text = f"{escape(summary.name)}: {summary.rag.value if summary.rag else 'not rated'}"
    return message(text, blocks)


def risks_message(risks: Sequence[RiskView], *, everything: bool) -> dict[str, Any]:
    """The ``/icam risks`` reply; ``everything`` says whether the list spans all programs or the viewer's own."""
    scope = "across programs" if everything else "in your programs"
    if not risks:
        text = f"No open scored risks {scope}."
        return message(text, sections(text))
    lines = "\n".join(risk_line(n, r) for n, r in enumerate(risks, 1))
    text = f"*Top risks {scope}* (score = likelihood × impact)\n{lines}"
    return message(text, [*sections(text), context(f"Open an item with `{SLASH_COMMAND} status ICAM-<n>`.")])


def saved_message(result: EditResult) -> dict[str, Any]:
    """The PMO's confirmation after the form is saved."""
    if not result.changed:
        text = f"Nothing changed on the `{result.program}` board: the values were already so."
        return message(text, sections(text))
    parts = []
    if any(c.startswith("program_") for c in result.changed):
        parts.append("the program's RAG / note")
    if result.milestone is not None:
        verb = "added" if "milestone_created" in result.changed else "updated"
        parts.append(f"milestone *{escape(truncate(result.milestone.name, NAME_LIMIT))}* ({verb})")
    text = (
        f":white_check_mark: Saved on the `{result.program}` board: {' and '.join(parts)}. "
        f"See `{SLASH_COMMAND} status {result.program}`."
    )
    return message(text, sections(text))
