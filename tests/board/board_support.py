"""Constants and helpers shared by the board tests (importable as ``board_support``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from icam_bot.board.service import BoardService, ProgramEdit
from icam_bot.board.validation import MilestoneInput
from icam_bot.tracker.service import NewItem

PMO = "U0EXAMPLEPM1"
ESC = "U0EXAMPLEES1"
CRED_OWNER = "U0EXAMPLE11"
PACS_OWNER = "U0EXAMPLE21"
STAFF = "U0STAFF001"
#: "Today" on the board at the tests' clock (fake_clock.MONDAY_9AM, 09:00 in New York).
TODAY = dt.date(2026, 3, 2)


def milestone(name: str = "Wave 1 cards issued", due: Any = "2026-04-15", **fields: Any) -> MilestoneInput:
    return MilestoneInput(name=name, due_date=due, **fields)


def add_milestone(board: BoardService, program: str = "credentialing", **fields: Any):
    """Add a milestone as the PMO (program RAG left derived); returns the EditResult."""
    return board.edit(ProgramEdit(program, milestone=milestone(**fields)), actor=PMO)


def risk(program: str = "credentialing", likelihood: int = 3, impact: int = 3, **overrides: Any) -> NewItem:
    values: dict[str, Any] = {
        "kind": "risk",
        "title": f"Risk {likelihood}x{impact}",
        "description": "A risk to the program.",
        "program": program,
        "severity": "high",
        "reporter_id": STAFF,
        "likelihood": likelihood,
        "impact": impact,
    }
    values.update(overrides)
    return NewItem(**values)


def issue(program: str = "credentialing", severity: str = "medium", **overrides: Any) -> NewItem:
    values: dict[str, Any] = {
        "kind": "issue",
        "title": "Readers reject new cards",
        "description": "Badge readers reject the new PIV cards.",
        "program": program,
        "severity": severity,
        "reporter_id": STAFF,
    }
    values.update(overrides)
    return NewItem(**values)
