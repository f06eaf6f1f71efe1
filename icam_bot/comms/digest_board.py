"""The digest's status-board section: the board's enterprise view, kept apart so a board problem never stops
the rest of the digest (the section then says the board is unavailable)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from icam_bot.programs.routing import ProgramsConfig

logger = logging.getLogger(__name__)

RAG_WORDS = {"green": "GREEN", "amber": "AMBER", "red": "RED"}


@dataclass(frozen=True)
class BoardLine:
    """One program's line of the board, already reduced to what the digest prints."""

    name: str
    rag: str  # GREEN / AMBER / RED / not rated
    rag_source: str  # pmo / derived / none
    next_milestone: str | None  # "name, due YYYY-MM-DD"
    open_items: int
    open_risks: int
    overdue: int
    note: str | None


def board_section(
    sessions: sessionmaker[Session], config: ProgramsConfig, now: dt.datetime, today: dt.date
) -> object | None:
    """The board's enterprise view at ``now`` (its own session), or None (logged) if it cannot be read."""
    try:
        from icam_bot.board.overview import enterprise_view

        with sessions() as session:
            return enterprise_view(session, config, now, today)
    except Exception:
        logger.exception("the status board could not be read for the digest")
        return None


def board_lines(view: object | None) -> list[BoardLine] | None:
    """The enterprise view as lines, None if there is no view."""
    programs = getattr(view, "programs", None)
    if view is None or programs is None:
        return None
    lines = []
    for summary in programs:
        rag = getattr(summary.rag, "value", summary.rag)
        milestone = summary.next_milestone
        nxt = f"{milestone.name}, due {milestone.due_date.isoformat()}" if milestone is not None else None
        lines.append(
            BoardLine(
                name=summary.name,
                rag=RAG_WORDS.get(str(rag), "not rated") if rag else "not rated",
                rag_source=str(getattr(summary.rag_source, "value", summary.rag_source)),
                next_milestone=nxt,
                open_items=_total(summary.open_items),
                open_risks=_total(summary.open_risks),
                overdue=int(summary.overdue),
                note=summary.note,
            )
        )
    return lines


def _total(counts: Mapping[object, int]) -> int:
    return sum(counts.values())
