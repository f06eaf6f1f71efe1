"""The answer report in a few plain sentences (Slack's mrkdwn and plain text alike): the totals, the categories,
the median time to an answer. Shared by the digest, ``/icam stats answers`` and the Home tab."""

from __future__ import annotations

from icam_bot.analytics.report import AnswerReport, Counts

#: Categories named in a summary line (the rest are summed as "others").
TOP_CATEGORIES = 6


def _share(part: int, whole: int) -> str:
    return f" ({round(100 * part / whole)}%)" if whole else ""


def totals_line(counts: Counts) -> str:
    return (
        f"{counts.asked} asked · {counts.answered} answered{_share(counts.answered, counts.asked)} · "
        f"{counts.suggested} suggested · {counts.declined} declined · {counts.redirected} redirected"
    )


def feedback_line(report: AnswerReport) -> str:
    total = report.total
    median = "—" if report.median_hours_to_answer is None else f"{report.median_hours_to_answer:.1f} h"
    return (
        f"Feedback: {total.helpful} helpful, {total.not_helpful} not helpful · {total.became_items} question(s) "
        f"became tracker items · median time from a logged question to its answer {median} "
        f"(over {report.answered_items} resolved)"
    )


def categories_line(report: AnswerReport) -> str:
    categories = list(report.by_category().items())
    shown = [f"{name} {c.asked} ({c.answered} answered)" for name, c in categories[:TOP_CATEGORIES]]
    rest = sum(c.asked for _, c in categories[TOP_CATEGORIES:])
    if rest:
        shown.append(f"others {rest}")
    return "By category: " + (", ".join(shown) if shown else "no questions")


def unanswered_line(report: AnswerReport) -> str:
    return (
        f"Unanswered: {report.unanswered_topics} distinct question(s), asked or logged {report.unanswered_asks} time(s)"
    )


def summary_lines(report: AnswerReport) -> list[str]:
    """Every line, totals first."""
    return [totals_line(report.total), categories_line(report), feedback_line(report), unanswered_line(report)]
