"""The answer report in Block Kit: ``/icam stats answers`` and the PMO's Home section. Pure builders."""

from __future__ import annotations

from typing import Any

from handlers.common.blocks import Block, context, divider, message, plain, sections
from handlers.common.text import escape, truncate
from icam_bot.analytics.report import AnswerReport
from icam_bot.analytics.summary import summary_lines

TOPIC_LIMIT = 200
CHART_SENT_TEXT = "A chart of the last 12 weeks (questions answered vs not, items opened vs resolved) is in your DM."
CHART_UNSENT_TEXT = "The weekly chart could not be sent this time."
TOPICS_FOR_PMO = "The questions' text is shown to ICAM PMO members only."


def _heading(report: AnswerReport) -> str:
    weeks = len(report.window.weeks)
    return f"Answer analytics, last {weeks} week(s) (since {report.window.start.date().isoformat()})"


def week_table(report: AnswerReport) -> str:
    """One line per week: asked, answered, suggested, declined, redirected, helpful / not, items (monospace)."""
    lines = ["week        asked  ans  sug  dec  red  +/-    items"]
    for week, c in report.by_week().items():
        votes = f"{c.helpful}/{c.not_helpful}"
        lines.append(
            f"{week.isoformat()}  {c.asked:>5}  {c.answered:>3}  {c.suggested:>3}  {c.declined:>3}  "
            f"{c.redirected:>3}  {votes:<6} {c.became_items:>5}"
        )
    return "```" + "\n".join(lines) + "```"


def _topics(report: AnswerReport) -> str:
    if not report.topics:
        return "*Top unanswered questions*\nNone in these weeks."
    if not report.text_shown:
        counts = ", ".join(f"{t.asked + t.pmo_requests}×" for t in report.topics)
        return f"*Top unanswered questions* (times asked or logged): {counts}\n_{TOPICS_FOR_PMO}_"
    lines = [
        f"• *{t.asked}×* {escape(truncate(t.text or '', TOPIC_LIMIT))}"
        + (f" _(logged for the PMO {t.pmo_requests}×)_" if t.pmo_requests else "")
        for t in report.topics
    ]
    return "*Top unanswered questions*\n" + "\n".join(lines)


def answers_message(report: AnswerReport) -> dict[str, Any]:
    """``/icam stats answers``: the summary, the weekly table and the top unanswered questions (text for PMO)."""
    heading = _heading(report)
    summary = "\n".join(escape(line) for line in summary_lines(report))
    blocks: list[Block] = [
        *sections(f"*{heading}*\n{summary}"),
        *sections(week_table(report)),
        *sections(_topics(report)),
        context("`icam-bot report answers --csv` exports every week and category."),
    ]
    return message(f"{heading}: {summary_lines(report)[0]}", blocks)


def with_chart_note(reply: dict[str, Any], sent: bool) -> dict[str, Any]:
    """``/icam stats``'s reply with a line saying whether the weekly chart went to the caller's DM."""
    return {**reply, "blocks": [*reply.get("blocks", []), context(CHART_SENT_TEXT if sent else CHART_UNSENT_TEXT)]}


def home_analytics_blocks(report: AnswerReport) -> list[Block]:
    """The PMO's Home section: counts only (the unanswered questions are listed under Knowledge gaps)."""
    summary = "\n".join(escape(line) for line in summary_lines(report))
    return [
        divider(),
        {"type": "header", "text": plain("Answer analytics", 150)},
        *sections(f"*{_heading(report)}*\n{summary}"),
        context("`/icam stats answers` for the weekly table; `icam-bot report answers --csv` for a spreadsheet."),
    ]
