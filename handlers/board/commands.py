"""The program status board's ``/icam`` subcommands (``status [program]``, ``risks``, ``program``) and its form."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.board.blocks import enterprise_message, program_message, risks_message, saved_message
from handlers.board.modal import ProgramDraft, ProgramModalMeta, edit_from_state, form_errors, program_modal
from handlers.common.blocks import text_message
from handlers.common.guard import guarded
from handlers.common.ids import BlockId, CallbackId
from handlers.runtime.sender import SEND_ERRORS
from handlers.services import Services, services_of
from handlers.slash.registry import Call, Message
from handlers.tracker.blocks import error_message
from icam_bot.board.errors import BoardValidationError, UnknownProgramError
from icam_bot.board.service import BoardService
from icam_bot.errors import IcamError
from icam_bot.tracker.submission import ITEM_ID_RE

logger = logging.getLogger(__name__)

#: ``ICAM-12``, ``#12``, ``12``, and anything ``ICAM-…`` (so a bad item id gets the item id error).
_ITEM_REF = re.compile(r"^\s*icam-", re.IGNORECASE)


def register(app: AsyncApp) -> None:
    app.view(CallbackId.PROGRAM_MODAL)(guarded(on_program_submitted))


def is_item_ref(text: str) -> bool:
    """Whether ``/icam status <text>`` looks up a tracker item rather than a program."""
    return bool(text) and bool(ITEM_ID_RE.match(text) or _ITEM_REF.match(text))


async def status(call: Call) -> Message:
    """No argument: the enterprise view; a program slug or name: its drill-down."""
    board = call.services.board
    text = call.rest.strip()
    try:
        if not text:
            return enterprise_message(await asyncio.to_thread(board.overview))
        return program_message(await asyncio.to_thread(board.program, text, actor=call.user))
    except IcamError as exc:
        return error_message(exc)


async def risks(call: Call) -> Message:
    board = call.services.board
    try:
        found = await asyncio.to_thread(board.top_risks, actor=call.user)
    except IcamError as exc:
        return error_message(exc)
    return risks_message(found, everything=board.risk_programs(call.user) is None)


def editors(services: Services, user: str) -> Message | None:
    """Who may run ``/icam program``: the board's editors (the PMO); others are told why not."""
    try:
        services.board.require_editor(user)
    except IcamError as exc:
        return error_message(exc)
    return None


async def program(call: Call) -> Message | None:
    """views.open the PMO's form, pre-filled for ``[program [milestone]]``; else the reply explaining why not."""
    services = call.services
    try:
        draft = await asyncio.to_thread(_draft, services.board, call.rest.strip())
    except IcamError as exc:
        return error_message(exc)
    trigger_id = call.command.get("trigger_id")
    if not trigger_id:
        logger.error("cannot open the program form: the request carried no trigger_id")
        return text_message("Sorry, I could not open the form. Please try again.")
    try:
        await call.client.views_open(trigger_id=trigger_id, view=program_modal(draft, services.program_options()))
    except SEND_ERRORS:
        services.metrics.slack_error("views.open")
        logger.exception("views.open failed for the program form")
        return text_message("Sorry, I could not open the form. Please try again.")
    return None


def _draft(board: BoardService, text: str) -> ProgramDraft:
    """Program and milestone from ``<program> [milestone name]``: the whole text names a program first."""
    if not text:
        return ProgramDraft()
    try:
        slug, wanted = board.resolve_program(text), ""
    except UnknownProgramError:
        first, _, wanted = text.partition(" ")
        slug = board.resolve_program(first)
    rag, note = board.program_status(slug)
    milestones = board.milestones(slug)
    chosen = board.milestone_named(slug, wanted) if wanted.strip() else None
    return ProgramDraft(slug, rag, note, chosen, tuple(m.name for m in milestones))


async def on_program_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    """Save the form; field errors (and a refusal) go back to the form, which keeps what was typed."""
    services = services_of(context)
    actor = str((body.get("user") or {}).get("id") or "")
    values = (view.get("state") or {}).get("values") or {}
    change = edit_from_state(values, ProgramModalMeta.load(view.get("private_metadata")))
    try:
        result = await asyncio.to_thread(services.board.edit, change, actor=actor)
    except BoardValidationError as exc:
        await ack(response_action="errors", errors=form_errors(exc.errors))
        return
    except IcamError as exc:  # not PMO, unknown program, database down: nothing was saved
        await ack(response_action="errors", errors={BlockId.PROGRAM: str(exc)[:300]})
        return
    await ack()
    await services.sender.post_message(client, actor, **saved_message(result))
