"""The weekly figure of the digest and ``/icam stats``: questions answered vs not, and tracker items opened vs
resolved, per week over the last 12 weeks, as one PNG with a text description for screen readers.

RAG per program over time is not drawn: the program board keeps each program's current RAG (and an audit trail
of changes), not a weekly series; the description says so.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from icam_bot.analytics import queries
from icam_bot.analytics.period import DEFAULT_WEEKS, Window
from icam_bot.charts.plot import Series, bar_chart, line_chart, stack

ANSWERED = (46, 125, 50)
NOT_ANSWERED = (230, 120, 20)
OPENED = (30, 90, 200)
RESOLVED = (120, 120, 120)
#: Slack's limit on a file's alt text is generous; a description past this is cut (the numbers stay in order).
ALT_TEXT_LIMIT = 1000
NO_RAG_HISTORY = "RAG per program over time is not charted: the program board keeps only each program's current RAG."
FILENAME = "icam-weekly.png"
TITLE = "ICAM questions and tracker items per week"


@dataclass(frozen=True)
class WeeklySeries:
    weeks: tuple[dt.date, ...]
    answered: tuple[int, ...]
    not_answered: tuple[int, ...]
    opened: tuple[int, ...]
    resolved: tuple[int, ...]


@dataclass(frozen=True)
class Figure:
    """A PNG to upload, its file name and title, and its description for screen readers."""

    png: bytes
    filename: str
    title: str
    alt_text: str


def weekly_series(session: Session, window: Window) -> WeeklySeries:
    """The four weekly series over ``window`` (weeks without data at zero), from grouped queries."""
    weeks = tuple(window.weeks)
    answered = dict.fromkeys(weeks, 0)
    asked = dict.fromkeys(weeks, 0)
    for row in queries.question_counts(session, window):
        answered[row.week] = answered.get(row.week, 0) + row.answered
        asked[row.week] = asked.get(row.week, 0) + row.asked
    opened, resolved = queries.weekly_items(session, window)
    return WeeklySeries(
        weeks,
        tuple(answered[w] for w in weeks),
        tuple(asked[w] - answered[w] for w in weeks),
        tuple(opened.get(w, 0) for w in weeks),
        tuple(resolved.get(w, 0) for w in weeks),
    )


def describe(series: WeeklySeries) -> str:
    """The figure in words: every week's numbers, oldest first."""

    def week(day: dt.date) -> str:
        return day.strftime("%b %d").replace(" 0", " ")

    answers = "; ".join(
        f"{week(w)}: {a} answered, {n} not"
        for w, a, n in zip(series.weeks, series.answered, series.not_answered, strict=True)
    )
    items = "; ".join(
        f"{week(w)}: {o} opened, {r} resolved"
        for w, o, r in zip(series.weeks, series.opened, series.resolved, strict=True)
    )
    text = (
        f"Two charts over the {len(series.weeks)} weeks from the week of {week(series.weeks[0])}. "
        f"Questions per week: {answers}. Tracker items per week: {items}. {NO_RAG_HISTORY}"
    )
    return text if len(text) <= ALT_TEXT_LIMIT else text[: ALT_TEXT_LIMIT - 1] + "…"


def render(series: WeeklySeries) -> bytes:
    labels = [w.strftime("%m-%d") for w in series.weeks]
    answers = bar_chart(
        "Questions answered vs not, per week",
        labels,
        [Series("answered", series.answered, ANSWERED), Series("not answered", series.not_answered, NOT_ANSWERED)],
    )
    items = line_chart(
        "Tracker items opened vs resolved, per week",
        labels,
        [Series("opened", series.opened, OPENED), Series("resolved", series.resolved, RESOLVED)],
    )
    return stack([answers, items]).png()


def weekly_figure(session: Session, now: dt.datetime, weeks: int = DEFAULT_WEEKS) -> Figure:
    """The figure over the ``weeks`` weeks up to ``now``."""
    series = weekly_series(session, Window.last_weeks(now, weeks))
    return Figure(render(series), FILENAME, TITLE, describe(series))


def figure_payload(figure: Figure, comment: str | None = None) -> dict[str, Any]:
    """The figure as JSON-safe values (an outbox row's payload); ``comment`` is posted with it."""
    return {
        "png": base64.b64encode(figure.png).decode("ascii"),
        "filename": figure.filename,
        "title": figure.title,
        "alt_text": figure.alt_text,
        "comment": comment,
    }


def figure_from_payload(payload: dict[str, Any]) -> tuple[Figure, str | None]:
    """The figure and its comment back from ``figure_payload``."""
    figure = Figure(
        base64.b64decode(payload["png"]), str(payload["filename"]), str(payload["title"]), str(payload["alt_text"])
    )
    comment = payload.get("comment")
    return figure, comment if isinstance(comment, str) else None
