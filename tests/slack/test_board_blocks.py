"""Pure program board builders and form parsing: no Slack, no database."""

from __future__ import annotations

import datetime as dt
import json

from handlers.board.blocks import (
    enterprise_blocks,
    enterprise_message,
    enterprise_text,
    program_message,
    rag_label,
    risks_message,
    saved_message,
)
from handlers.board.modal import (
    ProgramDraft,
    ProgramModalMeta,
    board_field,
    edit_from_state,
    form_errors,
    program_modal,
)
from handlers.common.ids import ActionId, BlockId, CallbackId
from handlers.common.text import MESSAGE_BLOCK_LIMIT, MODAL_TITLE_LIMIT, SECTION_TEXT_LIMIT, VIEW_BLOCK_LIMIT
from handlers.slash.help import help_message
from handlers.slash.subcommands import HELP_LINES
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
)
from icam_bot.tracker.models import Severity, Status

NOW = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 2)
PROGRAM_OPTIONS = [("credentialing", "Credentialing"), ("pacs", "PACS"), ("other", "Other")]


def stone(n: int = 1, **overrides: object) -> MilestoneView:
    values: dict[str, object] = {
        "id": n,
        "program": "credentialing",
        "name": f"Wave {n} <!channel> & co",
        "workstream": "PIV <refresh>",
        "owner_id": "U0EXAMPLE11",
        "due_date": TODAY + dt.timedelta(days=n),
        "status": WorkStatus.PLANNED,
        "rag": Rag.AMBER,
        "note": "stock <late>",
        "completed_on": None,
        "updated_at": NOW,
        "updated_by": "U0EXAMPLEPM1",
    }
    values.update(overrides)
    return MilestoneView(**values)  # type: ignore[arg-type]


def summary(slug: str = "credentialing", **overrides: object) -> ProgramSummary:
    values: dict[str, object] = {
        "slug": slug,
        "name": f"{slug.capitalize()} <b>",
        "rag": Rag.RED,
        "rag_source": RagSource.PMO,
        "note": "Vendor <@U123> slipped",
        "next_milestone": stone(),
        "open_milestones": 2,
        "overdue_milestones": 1,
        "overdue_items": 3,
        "open_items": {Severity.LOW: 1, Severity.MEDIUM: 0, Severity.HIGH: 2, Severity.CRITICAL: 0},
        "open_risks": {Severity.LOW: 0, Severity.MEDIUM: 0, Severity.HIGH: 0, Severity.CRITICAL: 1},
    }
    values.update(overrides)
    return ProgramSummary(**values)  # type: ignore[arg-type]


def risk(n: int = 1, **overrides: object) -> RiskView:
    values: dict[str, object] = {
        "id": n,
        "program": "pacs",
        "title": "Readers <!here> fail",
        "severity": Severity.HIGH,
        "status": Status.NEW,
        "likelihood": 4,
        "impact": 5,
        "owner_id": "U0EXAMPLE21",
        "mitigation_owner_id": None,
        "permalink": None,
    }
    values.update(overrides)
    return RiskView(**values)  # type: ignore[arg-type]


def texts(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False)


def test_enterprise_view_lists_each_program_with_rag_next_milestone_counts_and_overdue():
    view = EnterpriseView(NOW, TODAY, (summary(), summary("pacs", rag=None, rag_source=RagSource.NONE)))
    msg = enterprise_message(view)
    sent = texts(msg)
    assert ":red_circle: red (PMO)" in sent
    assert ":white_circle: not rated" in sent
    assert "Open items: 2 high, 1 low" in sent
    assert "Open risks: 1 critical" in sent
    assert "Overdue: 3 item(s), 1 milestone(s) :warning:" in sent
    assert "Next milestone: *Wave 1 &lt;!channel&gt; &amp; co* due 2026-03-03 (<@U0EXAMPLE11>)" in sent
    assert "<!channel>" not in sent
    assert "<@U123>" not in sent  # a note cannot mention anyone
    assert "/icam status <program>" in sent
    assert msg["text"] == enterprise_text(view)
    assert enterprise_blocks(view) == msg["blocks"][:-1]


def test_rag_labels_pair_colour_with_words():
    assert rag_label(Rag.GREEN, RagSource.DERIVED) == ":large_green_circle: green (derived)"
    assert rag_label(Rag.AMBER) == ":large_orange_circle: amber (PMO)"
    assert rag_label(None) == ":white_circle: not rated"


def test_enterprise_view_fits_slack_limits_with_long_notes():
    long = summary(note="x" * 5000, next_milestone=stone(name="y" * 5000))
    view = EnterpriseView(NOW, TODAY, tuple(long for _ in range(7)))
    msg = enterprise_message(view)
    assert len(msg["blocks"]) <= MESSAGE_BLOCK_LIMIT
    for block in msg["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_TEXT_LIMIT


def test_program_drill_down_shows_workstreams_milestones_risks_and_changes():
    change = BoardEventView(
        1, "credentialing", "milestone", "Wave <1>", "U0EXAMPLEPM1", "changed", "rag", "green", "red", None, NOW
    )
    late = stone(2, due_date=TODAY - dt.timedelta(days=1))
    done = stone(3, status=WorkStatus.DONE, due_date=TODAY - dt.timedelta(days=30))
    view = ProgramView(TODAY, summary(), (), (late, stone(), done), (risk(),), (change,))
    sent = texts(program_message(view))
    assert sent.count(":warning: *overdue*") == 1  # the done milestone is not overdue
    assert "[PIV &lt;refresh&gt;]" in sent
    assert "*ICAM-1* score *20* (4×5)" in sent
    assert "mitigation: not assigned" in sent
    assert "<@U0EXAMPLEPM1> changed milestone *Wave &lt;1&gt;* rag: green → red" in sent
    hidden = program_message(ProgramView(TODAY, summary(), (), (), None, ()))
    assert "Risk details are for ICAM PMO and ESC members" in texts(hidden)
    assert "None recorded yet" in texts(hidden)


def test_drill_down_caps_the_milestone_list():
    many = tuple(stone(n) for n in range(1, 60))
    msg = program_message(ProgramView(TODAY, summary(), (), many, (), ()))
    assert "…and 34 more" in texts(msg)
    assert len(msg["blocks"]) <= MESSAGE_BLOCK_LIMIT


def test_risks_message_ranks_and_escapes():
    sent = texts(
        risks_message([risk(1), risk(2, likelihood=2, impact=2, mitigation_owner_id="U0EXAMPLE22")], everything=True)
    )
    assert "Top risks across programs" in sent
    assert "1. *ICAM-1* score *20*" in sent
    assert "2. *ICAM-2* score *4*" in sent
    assert "mitigation: <@U0EXAMPLE22>" in sent
    assert "&lt;!here&gt;" in sent
    assert "No open scored risks in your programs." in texts(risks_message([], everything=False))


def test_saved_message_says_what_changed():
    assert "Nothing changed" in texts(saved_message(EditResult("pacs", None, ())))
    result = EditResult("pacs", stone(name="New <one>"), ("program_rag", "milestone_created"))
    sent = texts(saved_message(result))
    assert "the program's RAG / note and milestone *New &lt;one&gt;* (added)" in sent


def test_program_modal_is_within_limits_and_prefilled():
    editing = stone(5, owner_id="U0EXAMPLE12")
    draft = ProgramDraft("credentialing", Rag.AMBER, "note", editing, tuple(f"m{n}" for n in range(40)))
    view = program_modal(draft, PROGRAM_OPTIONS)
    assert view["callback_id"] == CallbackId.PROGRAM_MODAL
    assert len(view["title"]["text"]) <= MODAL_TITLE_LIMIT
    assert len(view["blocks"]) <= VIEW_BLOCK_LIMIT
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[BlockId.PROGRAM]["element"]["initial_option"]["value"] == "credentialing"
    assert blocks[BlockId.PROGRAM_RAG]["element"]["initial_option"]["value"] == "amber"
    assert blocks[BlockId.MILESTONE_DUE]["element"]["initial_date"] == editing.due_date.isoformat()
    assert blocks[BlockId.MILESTONE_OWNER]["element"]["initial_user"] == "U0EXAMPLE12"
    assert ProgramModalMeta.load(view["private_metadata"]).milestone_id == 5
    assert "and 25 more" in texts(view)
    fresh = program_modal(ProgramDraft(), PROGRAM_OPTIONS)
    blocks = {b.get("block_id"): b for b in fresh["blocks"]}
    assert "initial_option" not in blocks[BlockId.PROGRAM]["element"]
    assert blocks[BlockId.PROGRAM_RAG]["element"]["initial_option"]["value"] == "derived"
    assert ProgramModalMeta.load(fresh["private_metadata"]).milestone_id is None


def _state(**fields: dict) -> dict:
    return {block: {ActionId.FIELD: element} for block, element in fields.items()}


def test_edit_from_state_reads_every_field_kind():
    values = _state(
        **{
            BlockId.PROGRAM: {"type": "static_select", "selected_option": {"value": "pacs"}},
            BlockId.PROGRAM_RAG: {"type": "static_select", "selected_option": {"value": "derived"}},
            BlockId.PROGRAM_NOTE: {"type": "plain_text_input", "value": "  "},
            BlockId.MILESTONE_NAME: {"type": "plain_text_input", "value": " Readers "},
            BlockId.MILESTONE_DUE: {"type": "datepicker", "selected_date": "2026-05-01"},
            BlockId.MILESTONE_OWNER: {"type": "users_select", "selected_user": "U0EXAMPLE21"},
            BlockId.MILESTONE_STATUS: {"type": "static_select", "selected_option": {"value": "in_progress"}},
            BlockId.MILESTONE_RAG: {"type": "static_select", "selected_option": None},
        }
    )
    edit = edit_from_state(values, ProgramModalMeta(None))
    assert (edit.program, edit.rag, edit.note) == ("pacs", "derived", None)
    assert edit.milestone is not None
    assert (edit.milestone.name, edit.milestone.due_date, edit.milestone.owner_id) == (
        "Readers",
        "2026-05-01",
        "U0EXAMPLE21",
    )
    assert (edit.milestone.status, edit.milestone.rag) == ("in_progress", "green")
    assert board_field(values, BlockId.MILESTONE_NOTE) is None
    only_program = _state(**{BlockId.PROGRAM: {"type": "static_select", "selected_option": {"value": "pacs"}}})
    assert edit_from_state(only_program, ProgramModalMeta(None)).milestone is None
    assert edit_from_state(only_program, ProgramModalMeta(7)).milestone is not None  # editing: always a milestone


def test_form_errors_map_onto_the_form_blocks():
    mapped = form_errors({"rag": "must be one of", "due_date": "is in the past", "milestone_rag": "bad", "other": "x"})
    assert mapped[BlockId.PROGRAM_RAG].startswith("Rag must be")
    assert mapped[BlockId.MILESTONE_DUE] == "Due date is in the past"
    assert mapped[BlockId.MILESTONE_RAG] == "Rag bad"
    assert BlockId.MILESTONE_NAME in mapped


def test_metadata_ignores_garbage():
    assert ProgramModalMeta.load("not json").milestone_id is None
    assert ProgramModalMeta.load('{"milestone_id": true}').milestone_id is None
    assert ProgramModalMeta.load('{"milestone_id": 3}').milestone_id == 3


def test_help_lists_the_board_subcommands():
    sent = texts(help_message(HELP_LINES))
    for usage in (
        "/icam status`",
        "/icam status &lt;program&gt;",
        "/icam risks",
        "/icam program [program [milestone]]",
    ):
        assert usage in sent
