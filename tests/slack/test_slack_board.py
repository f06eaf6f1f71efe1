"""The program status board in Slack: signed /icam commands and form submissions in, fake Web API calls out."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

from fake_clock import MONDAY_9AM
from slack_harness import Harness, reply_to, serve_app
from slack_requests import modal_state, view_submission
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.board.modal import ProgramModalMeta
from handlers.common.ids import BlockId, CallbackId
from handlers.common.text import MODAL_TITLE_LIMIT
from icam_bot.board.models import BoardEvent, Milestone, ProgramStatus, Rag
from icam_bot.board.service import BoardService, ProgramEdit
from icam_bot.board.validation import MilestoneInput
from icam_bot.tracker.service import NewItem

STAFF = "U0000STAFF"
PMO = "U0EXAMPLEPM1"
CRED_OWNER = "U0EXAMPLE11"


def use_board_clock(h: Harness) -> BoardService:
    """Point the app's board at a fixed clock (same engine and routing)."""
    h.services.board = BoardService(h.store.engine, h.services.tracker.programs, clock=lambda: MONDAY_9AM)
    return h.services.board


def add_milestone(board: BoardService, name: str = "Wave 1 issued", due: str = "2026-04-15", **fields: Any) -> None:
    board.edit(ProgramEdit("credentialing", milestone=MilestoneInput(name=name, due_date=due, **fields)), actor=PMO)


def new_risk(h: Harness, **overrides: Any) -> str:
    values: dict[str, Any] = {
        "kind": "risk",
        "title": "Card stock <!channel> runs out",
        "description": "Supplier delays.",
        "program": "credentialing",
        "severity": "high",
        "reporter_id": STAFF,
        "likelihood": 4,
        "impact": 5,
        "mitigation_owner_id": CRED_OWNER,
    }
    values.update(overrides)
    return h.services.tracker.create(NewItem(**values)).item.ref


def sent(reply: dict[str, Any]) -> str:
    return json.dumps(reply, ensure_ascii=False)


def select_option(value: str | None) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value} if value else None}


def form_state(**overrides: dict[str, Any]) -> dict[str, Any]:
    fields = {
        BlockId.PROGRAM: select_option("credentialing"),
        BlockId.PROGRAM_RAG: select_option("amber"),
        BlockId.PROGRAM_NOTE: {"type": "plain_text_input", "value": "Card stock <late>"},
        BlockId.MILESTONE_NAME: {"type": "plain_text_input", "value": "Wave 2 issued"},
        BlockId.MILESTONE_WORKSTREAM: {"type": "plain_text_input", "value": None},
        BlockId.MILESTONE_OWNER: {"type": "users_select", "selected_user": CRED_OWNER},
        BlockId.MILESTONE_DUE: {"type": "datepicker", "selected_date": "2026-06-30"},
        BlockId.MILESTONE_STATUS: select_option("planned"),
        BlockId.MILESTONE_RAG: select_option("green"),
        BlockId.MILESTONE_NOTE: {"type": "plain_text_input", "value": None},
    }
    fields.update(overrides)
    return modal_state(**fields)


def board_rows(h: Harness) -> tuple[int, int, int]:
    with Session(h.store.engine) as session:
        return tuple(
            session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Milestone, ProgramStatus, BoardEvent)
        )


# -- viewing -----------------------------------------------------------------------------------------------


async def test_status_without_argument_is_the_enterprise_view(responder, database_url):
    async with serve_app(responder, database_url) as h:
        board = use_board_clock(h)
        add_milestone(board, rag="amber", owner_id=CRED_OWNER)
        new_risk(h)
        reply = await reply_to(h, "status")
        text = sent(reply)
        assert "ICAM program status board" in text
        for routing in h.services.tracker.programs.programs.values():
            assert routing.name in text
        assert ":large_orange_circle: amber (derived)" in text
        assert "Next milestone: *Wave 1 issued* due 2026-04-15 (<@U0EXAMPLE11>)" in text
        assert "Open risks: 1 high" in text
        assert "<!channel>" not in text  # the risk's title is not shown on the public board


async def test_status_with_a_program_drills_down_and_an_item_id_still_looks_up_the_item(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        board = use_board_clock(h)
        add_milestone(board, note="400 <cards>")
        ref = new_risk(h)
        text = sent(await reply_to(h, "status credentialing", user=PMO))
        assert "*Milestones*" in text
        assert "400 &lt;cards&gt;" in text
        assert f"*{ref}* score *20*" in text
        assert "Card stock &lt;!channel&gt; runs out" in text
        staff_view = sent(await reply_to(h, "status Credentialing (PIV / derived credentials)", key="staff"))
        assert "Risk details are for ICAM PMO" in staff_view
        item = sent(await reply_to(h, f"status {ref}", key="item"))  # the reporter looks up their item
        assert f"{ref}: Card stock" in item
        bad_item = sent(await reply_to(h, "status ICAM-x", key="bad"))
        assert "ids look like ICAM-123" in bad_item


async def test_unknown_program_suggests_the_right_one(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        text = sent(await reply_to(h, "status credentaling"))
        assert "there is no component program called 'credentaling'" in text
        assert "did you mean `credentialing`" in text


async def test_risks_for_pmo_and_program_staff_refused_for_others(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        cred = new_risk(h)
        pacs = new_risk(h, program="pacs", likelihood=5, impact=5, title="Door controllers end of life")
        text = sent(await reply_to(h, "risks", user=PMO))
        assert "Top risks across programs" in text
        assert text.index(pacs) < text.index(cred)  # 25 before 20
        assert "mitigation: <@U0EXAMPLE11>" in text
        own = sent(await reply_to(h, "risks", user=CRED_OWNER, key="owner"))
        assert "in your programs" in own
        assert cred in own
        assert pacs not in own
        refused = sent(await reply_to(h, "risks", key="staff"))
        assert "risk register is for ICAM PMO and ESC members" in refused
        assert cred not in refused


# -- editing -------------------------------------------------------------------------------------------------


async def test_non_pmo_cannot_open_the_program_form(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        text = sent(await reply_to(h, "program credentialing", user=CRED_OWNER))
        assert "only ICAM PMO members can edit the program board" in text
        assert h.fake.calls_to("views.open") == []


async def test_pmo_opens_the_form_prefilled_for_a_milestone(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        board = use_board_clock(h)
        add_milestone(board, owner_id=CRED_OWNER, rag="amber")
        board.edit(ProgramEdit("credentialing", rag="red", note="Vendor late"), actor=PMO)
        status, body = await h.command("program credentialing wave 1 ISSUED", user=PMO)
        assert (status, body) == (200, "")
        (call,) = await h.fake.wait_for("views.open")
        view = call.params["view"]
        assert view["callback_id"] == CallbackId.PROGRAM_MODAL
        assert len(view["title"]["text"]) <= MODAL_TITLE_LIMIT
        blocks = {b.get("block_id"): b for b in view["blocks"]}
        assert blocks[BlockId.PROGRAM]["element"]["initial_option"]["value"] == "credentialing"
        assert blocks[BlockId.PROGRAM_RAG]["element"]["initial_option"]["value"] == "red"
        assert blocks[BlockId.PROGRAM_NOTE]["element"]["initial_value"] == "Vendor late"
        assert blocks[BlockId.MILESTONE_NAME]["element"]["initial_value"] == "Wave 1 issued"
        assert blocks[BlockId.MILESTONE_DUE]["element"]["initial_date"] == "2026-04-15"
        assert blocks[BlockId.MILESTONE_RAG]["element"]["initial_option"]["value"] == "amber"
        assert ProgramModalMeta.load(view["private_metadata"]).milestone_id is not None
        missing = sent(await reply_to(h, "program credentialing Wave 9", user=PMO, key="missing"))
        assert "credentialing has no milestone called 'Wave 9'" in missing
        unknown = sent(await reply_to(h, "program pcas", user=PMO, key="unknown"))
        assert "did you mean `pacs`" in unknown
        assert len(h.fake.calls_to("views.open")) == 1


async def test_submitting_the_form_saves_audits_and_confirms(responder, database_url):
    async with serve_app(responder, database_url) as h:
        board = use_board_clock(h)
        status, body = await h.interact(view_submission(CallbackId.PROGRAM_MODAL, form_state(), user=PMO))
        assert status == 200
        assert "errors" not in body
        (dm,) = await h.fake.wait_for("chat.postMessage")
        assert dm.params["channel"] == PMO
        assert "Saved on the `credentialing` board" in dm.texts()
        (stone,) = board.milestones("credentialing")
        assert (stone.name, stone.owner_id, stone.due_date) == ("Wave 2 issued", CRED_OWNER, dt.date(2026, 6, 30))
        assert board.program_status("credentialing") == (Rag.AMBER, "Card stock <late>")
        trail = {(e.target, e.action, e.field, e.after, e.actor_id) for e in board.history("credentialing")}
        assert ("program", "changed", "rag", "amber", PMO) in trail
        assert ("milestone", "created", None, "due 2026-06-30, status planned, RAG green", PMO) in trail
        # edit it: RAG green -> red, audited with before and after
        meta = ProgramModalMeta(stone.id).dump()
        edited = form_state(**{BlockId.MILESTONE_RAG: select_option("red")})
        status, body = await h.interact(view_submission(CallbackId.PROGRAM_MODAL, edited, meta, user=PMO))
        assert status == 200
        assert "errors" not in body
        await h.fake.wait_for("chat.postMessage", 2)
        changes = [(e.field, e.before, e.after) for e in board.history("credentialing") if e.target == "milestone"]
        assert ("rag", "green", "red") in changes


async def test_bad_form_input_comes_back_as_field_errors_and_nothing_is_written(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        use_board_clock(h)
        past = form_state(**{BlockId.MILESTONE_DUE: {"type": "datepicker", "selected_date": "2026-02-27"}})
        status, body = await h.interact(view_submission(CallbackId.PROGRAM_MODAL, past, user=PMO))
        assert status == 200
        reply = json.loads(body)
        assert reply["response_action"] == "errors"
        assert "2026-02-27 is in the past" in reply["errors"][BlockId.MILESTONE_DUE]
        no_date = form_state(**{BlockId.MILESTONE_DUE: {"type": "datepicker", "selected_date": None}})
        reply = json.loads((await h.interact(view_submission(CallbackId.PROGRAM_MODAL, no_date, user=PMO)))[1])
        assert "is required" in reply["errors"][BlockId.MILESTONE_DUE]
        await asyncio.sleep(0.1)
        assert board_rows(h) == (0, 0, 0)
        assert h.fake.calls_to("chat.postMessage") == []


async def test_a_non_pmo_submission_is_refused_with_the_reason(responder, sqlite_url):
    async with serve_app(responder, sqlite_url) as h:
        use_board_clock(h)
        status, body = await h.interact(view_submission(CallbackId.PROGRAM_MODAL, form_state(), user=CRED_OWNER))
        assert status == 200
        reply = json.loads(body)
        assert reply["response_action"] == "errors"
        assert "only ICAM PMO members can edit the program board" in reply["errors"][BlockId.PROGRAM]
        assert board_rows(h) == (0, 0, 0)
