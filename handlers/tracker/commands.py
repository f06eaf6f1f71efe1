"""The tracker's ``/icam`` subcommands: ``issue``, ``status ICAM-<n>``, ``mine``, ``queue``, ``stats``, ``assign``,
``comment``, ``escalate``, ``resolve`` and ``reopen``; each returns the ephemeral reply (see handlers.slash)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from handlers.common.blocks import ERROR_TEXT, text_message
from handlers.slash.registry import Call, Message
from handlers.tracker.blocks import (
    done_message,
    error_message,
    item_detail_message,
    items_message,
    stats_message,
    unsaved_message,
)
from handlers.tracker.flows import open_issue_modal
from handlers.tracker.modals import IssueModalMeta
from handlers.tracker.parsing import parse_user, split_ref
from icam_bot.tracker.errors import TrackerError, TrackerNotSavedError
from icam_bot.tracker.idempotency import content_key
from icam_bot.tracker.results import ActionResult

DEFAULT_REOPEN_REASON = "reopened from Slack"

#: An action on one item: (call, item ref, text) -> the result and what it did ("is resolved").
Action = Callable[[Call, str, str], Awaitable[tuple[ActionResult, str] | Message]]


async def issue(call: Call) -> Message | None:
    """Open the issue form pre-filled with the text; an apology when it cannot open."""
    meta = IssueModalMeta(channel_id=call.command.get("channel_id"))
    opened = await open_issue_modal(call.services, call.client, call.command.get("trigger_id"), call.rest.strip(), meta)
    return None if opened else text_message(ERROR_TEXT)


async def item_status(call: Call) -> Message:
    ref, _ = split_ref(call.rest)
    try:
        return item_detail_message(await asyncio.to_thread(call.services.tracker.get, ref, actor=call.user))
    except TrackerError as exc:
        return error_message(exc)


async def mine(call: Call) -> Message:
    tracker = call.services.tracker
    try:
        items = await asyncio.to_thread(tracker.mine, actor=call.user)
    except TrackerError as exc:
        return error_message(exc)
    return items_message("Your open items", items, call.services.clock(), "You have no open items.")


async def queue(call: Call) -> Message:
    tracker = call.services.tracker
    program = call.rest.strip().lower() or None
    try:
        items = await asyncio.to_thread(tracker.queue, actor=call.user, program=program)
    except TrackerError as exc:
        return error_message(exc)
    heading = f"Open items for {program}" if program else "Open items, most urgent first"
    return items_message(heading, items, call.services.clock(), "Nothing open.")


async def stats(call: Call) -> Message:
    try:
        return stats_message(await asyncio.to_thread(call.services.tracker.stats, actor=call.user))
    except TrackerError as exc:
        return error_message(exc)


def item_action(act: Action, *, needs_text: bool = False) -> Callable[[Call], Awaitable[Message]]:
    """The reply of an action on ``ICAM-<n>`` (the usage when the ref, or a text it needs, is missing): the
    change's notifications are delivered and the person told what was done, or why not."""

    async def reply(call: Call) -> Message:
        ref, text = split_ref(call.rest)
        if not ref or (needs_text and not text):
            return call.usage()
        try:
            done = await act(call, ref, text)
        except TrackerError as exc:
            return error_message(exc)
        if isinstance(done, dict):
            return done
        result, what = done
        call.services.notify()
        return done_message(result, what)

    reply.__name__ = act.__name__
    return reply


def text_kept(call: Call) -> Message:
    """A failed comment, escalation or resolution: "not saved", with what the person typed."""
    return unsaved_message(TrackerNotSavedError(call.subcommand.name, split_ref(call.rest)[1]))


async def _assign(call: Call, ref: str, text: str) -> tuple[ActionResult, str] | Message:
    assignee = parse_user(text)
    if assignee is None:
        return call.usage(" (mention the person)")
    result = await asyncio.to_thread(call.services.tracker.assign, ref, assignee, actor=call.user)
    return result, f"is assigned to <@{assignee}>"


async def _comment(call: Call, ref: str, text: str) -> tuple[ActionResult, str]:
    tracker = call.services.tracker
    key = content_key("comment", call.services.clock(), call.user, ref, text)
    result = await asyncio.to_thread(tracker.comment, ref, text, actor=call.user, keys=(key,))
    return result, "has your comment"


async def _escalate(call: Call, ref: str, text: str) -> tuple[ActionResult, str]:
    result = await asyncio.to_thread(call.services.tracker.escalate, ref, text, actor=call.user)
    call.services.metrics.items_escalated.inc()
    return result, f"is escalated (now at level {result.item.escalation_level})"


async def _resolve(call: Call, ref: str, text: str) -> tuple[ActionResult, str]:
    result = await asyncio.to_thread(call.services.tracker.resolve, ref, text, actor=call.user)
    call.services.metrics.items_resolved.inc()
    return result, "is resolved"


async def _reopen(call: Call, ref: str, text: str) -> tuple[ActionResult, str]:
    result = await asyncio.to_thread(call.services.tracker.reopen, ref, text or DEFAULT_REOPEN_REASON, actor=call.user)
    return result, "is reopened"


assign = item_action(_assign)
comment = item_action(_comment, needs_text=True)
escalate = item_action(_escalate, needs_text=True)
resolve = item_action(_resolve, needs_text=True)
reopen = item_action(_reopen)
