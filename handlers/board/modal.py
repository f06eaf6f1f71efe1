"""The ``/icam program`` form: a program's RAG and note, and one milestone to add or edit (PMO only)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from handlers.common.blocks import Block, context, divider, plain
from handlers.common.forms import input_block, static_select, text_input
from handlers.common.ids import ActionId, BlockId, CallbackId
from handlers.common.text import MODAL_TITLE_LIMIT, escape, truncate
from icam_bot.board.models import NAME_LEN, NOTE_LEN, Rag, WorkStatus
from icam_bot.board.results import MilestoneView
from icam_bot.board.service import ProgramEdit
from icam_bot.board.validation import DERIVED, MilestoneInput

#: Existing milestone names listed in the form (so the PMO knows what to type to edit one).
LISTED_MILESTONES = 15
#: Validation field names -> the form's blocks.
FIELD_BLOCKS: dict[str, str] = {
    "program": BlockId.PROGRAM,
    "rag": BlockId.PROGRAM_RAG,
    "note": BlockId.PROGRAM_NOTE,
    "name": BlockId.MILESTONE_NAME,
    "workstream": BlockId.MILESTONE_WORKSTREAM,
    "owner_id": BlockId.MILESTONE_OWNER,
    "due_date": BlockId.MILESTONE_DUE,
    "completed_on": BlockId.MILESTONE_DUE,
    "status": BlockId.MILESTONE_STATUS,
    "milestone_rag": BlockId.MILESTONE_RAG,
    "milestone_note": BlockId.MILESTONE_NOTE,
}
#: Fields whose being filled in means "there is a milestone in this submission".
MILESTONE_MARKERS = (
    BlockId.MILESTONE_NAME,
    BlockId.MILESTONE_DUE,
    BlockId.MILESTONE_WORKSTREAM,
    BlockId.MILESTONE_NOTE,
)


@dataclass(frozen=True)
class ProgramModalMeta:
    """The milestone being edited (None: a new one), kept in private_metadata."""

    milestone_id: int | None = None

    def dump(self) -> str:
        return json.dumps({"milestone_id": self.milestone_id} if self.milestone_id else {})

    @classmethod
    def load(cls, raw: object) -> ProgramModalMeta:
        try:
            data = json.loads(raw) if isinstance(raw, str) and raw else {}
        except ValueError:
            data = {}
        value = data.get("milestone_id") if isinstance(data, dict) else None
        return cls(value if isinstance(value, int) and not isinstance(value, bool) else None)


@dataclass(frozen=True)
class ProgramDraft:
    """What the form is pre-filled with."""

    program: str | None = None
    rag: Rag | None = None
    note: str | None = None
    milestone: MilestoneView | None = None
    existing: tuple[str, ...] = ()


RAG_OPTIONS = [(r.value, r.value.capitalize()) for r in Rag]
STATUS_OPTIONS = [(s.value, s.value.replace("_", " ").capitalize()) for s in WorkStatus]


def program_modal(draft: ProgramDraft, programs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The form; ``programs`` is (slug, name) for the program select."""
    milestone = draft.milestone
    owner: dict[str, Any] = {"type": "users_select", "action_id": ActionId.FIELD, "placeholder": plain("Pick a person")}
    due: dict[str, Any] = {"type": "datepicker", "action_id": ActionId.FIELD, "placeholder": plain("Due date")}
    if milestone is not None:
        if milestone.owner_id:
            owner["initial_user"] = milestone.owner_id
        due["initial_date"] = milestone.due_date.isoformat()
    if milestone is not None:
        intro = f"Editing milestone *{escape(truncate(milestone.name, NAME_LEN))}*; leave it as it is to keep it."
    else:
        intro = "*Milestone* (optional): fill in to add one. To edit one, open `/icam program <program> <milestone>`."
    if draft.existing:
        names = ", ".join(escape(truncate(n, 60)) for n in draft.existing[:LISTED_MILESTONES])
        more = f" and {len(draft.existing) - LISTED_MILESTONES} more" if len(draft.existing) > LISTED_MILESTONES else ""
        intro += f"\nThis program's milestones: {names}{more}"
    blocks: list[Block] = [
        _input(BlockId.PROGRAM, "Program", static_select(programs, draft.program, "Which program?"), optional=False),
        _input(
            BlockId.PROGRAM_RAG,
            "Program RAG",
            static_select([(DERIVED, "Derived from milestones"), *RAG_OPTIONS], draft.rag or DERIVED, "RAG"),
            optional=False,
            hint="Derived: the worst RAG of open milestones and workstreams (red if a milestone is overdue).",
        ),
        _input(BlockId.PROGRAM_NOTE, "Program note (one line)", text_input(draft.note, NOTE_LEN)),
        divider(),
        context(truncate(intro, 2000)),
        _input(BlockId.MILESTONE_NAME, "Milestone", text_input(milestone.name if milestone else None, NAME_LEN)),
        _input(
            BlockId.MILESTONE_WORKSTREAM,
            "Workstream",
            text_input(milestone.workstream if milestone else None, NAME_LEN),
            hint="A new name creates the workstream.",
        ),
        _input(BlockId.MILESTONE_OWNER, "Owner", owner),
        _input(
            BlockId.MILESTONE_DUE,
            "Due date",
            due,
            hint="Required for a milestone. A past date is accepted only for done or cancelled milestones.",
        ),
        _input(
            BlockId.MILESTONE_STATUS,
            "Status",
            static_select(STATUS_OPTIONS, milestone.status.value if milestone else WorkStatus.PLANNED.value, "Status"),
        ),
        _input(
            BlockId.MILESTONE_RAG,
            "Milestone RAG",
            static_select(RAG_OPTIONS, milestone.rag.value if milestone else Rag.GREEN.value, "RAG"),
        ),
        _input(
            BlockId.MILESTONE_NOTE,
            "Milestone note (one line)",
            text_input(milestone.note if milestone else None, NOTE_LEN),
        ),
    ]
    return {
        "type": "modal",
        "callback_id": CallbackId.PROGRAM_MODAL,
        "title": plain("Program board", MODAL_TITLE_LIMIT),
        "submit": plain("Save", MODAL_TITLE_LIMIT),
        "close": plain("Cancel", MODAL_TITLE_LIMIT),
        "private_metadata": ProgramModalMeta(milestone.id if milestone else None).dump(),
        "blocks": blocks,
    }


def board_field(values: Mapping[str, Any], block_id: str) -> str | None:
    """The submitted value of one input block: text, option, user or date; None when empty."""
    element = (values.get(block_id) or {}).get(ActionId.FIELD) or {}
    if not isinstance(element, dict):
        return None
    option = element.get("selected_option")
    if isinstance(option, dict):
        raw = option.get("value")
    else:
        raw = element.get("selected_date", element.get("selected_user", element.get("value")))
    return (raw.strip() or None) if isinstance(raw, str) else None


def edit_from_state(values: Mapping[str, Any], meta: ProgramModalMeta) -> ProgramEdit:
    """The form's submitted state as a ProgramEdit (a milestone only when one of its fields is filled in)."""
    has_milestone = meta.milestone_id is not None or any(board_field(values, b) for b in MILESTONE_MARKERS)
    milestone = None
    if has_milestone:
        milestone = MilestoneInput(
            name=board_field(values, BlockId.MILESTONE_NAME),
            due_date=board_field(values, BlockId.MILESTONE_DUE),
            owner_id=board_field(values, BlockId.MILESTONE_OWNER),
            status=board_field(values, BlockId.MILESTONE_STATUS) or WorkStatus.PLANNED.value,
            rag=board_field(values, BlockId.MILESTONE_RAG) or Rag.GREEN.value,
            note=board_field(values, BlockId.MILESTONE_NOTE),
            workstream=board_field(values, BlockId.MILESTONE_WORKSTREAM),
        )
    return ProgramEdit(
        program=board_field(values, BlockId.PROGRAM) or "",
        rag=board_field(values, BlockId.PROGRAM_RAG),
        note=board_field(values, BlockId.PROGRAM_NOTE),
        milestone=milestone,
        milestone_id=meta.milestone_id,
    )


def form_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """BoardValidationError.errors as ``response_action: errors`` keyed by the form's block ids."""
    mapped: dict[str, str] = {}
    for field, problem in errors.items():
        block = FIELD_BLOCKS.get(field, BlockId.MILESTONE_NAME)
        label = field.replace("milestone_", "").replace("_id", "").replace("_", " ").capitalize()
        mapped.setdefault(block, truncate(f"{label} {problem}", 300))
    return mapped


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = True, hint: str = "") -> Block:
    """The board form's fields are optional unless said otherwise."""
    return input_block(block_id, label, element, optional=optional, hint=hint)
