"""Announcements and subscriptions in Slack: ``/icam announce`` (PMO only: compose -> preview -> send),
``/icam subscribe [program]``, ``/icam unsubscribe [program]`` and ``/icam subscriptions``.

Who may subscribe or unsubscribe a channel: anyone who can run the command in it (Slack only lets channel
members do so). The bot posts a notice in the channel naming who did it, so the change is visible to everyone
there, and a channel the bot is not in cannot be subscribed (the notice fails and nothing is saved).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from handlers.common.blocks import text_message
from handlers.common.forms import field_value
from handlers.common.guard import guarded
from handlers.common.ids import SLASH_COMMAND, BlockId, CallbackId
from handlers.common.text import escape, truncate
from handlers.comms.blocks import (
    announce_modal,
    load_preview_metadata,
    preview_modal,
    subscribed_notice,
    subscription_label,
    subscriptions_text,
    unsubscribed_notice,
)
from handlers.runtime.sender import SEND_ERRORS
from handlers.services import Services, services_of
from handlers.slash.registry import Call, Message, Reply
from icam_bot.comms.announcements import BODY_LIMIT, AnnouncementDraft, AnnouncementError, validate_draft
from icam_bot.comms.delivery import CHANNEL_GONE_ERRORS
from icam_bot.comms.models import ALL_PROGRAMS
from icam_bot.comms.subscriptions import Subscribed

logger = logging.getLogger(__name__)

PMO_ONLY = "Only ICAM PMO members can send announcements."
NOT_A_CHANNEL = "Run this in the channel you want to change: subscriptions belong to channels, not direct messages."
DATABASE_DOWN = "The database is unavailable right now; nothing was changed. Please try again in a minute."
NOT_SAVED = "The database did not take this right now, so nothing was saved or sent. Please try again in a minute."
INVITE_FIRST = (
    "I am not a member of this channel, so I could not post here and did not subscribe it. "
    "Invite me first (`/invite @icam-bot`), then run `{command}` again."
)


def register(app: AsyncApp) -> None:
    app.view(CallbackId.ANNOUNCE_MODAL)(guarded(on_announce_composed))
    app.view(CallbackId.ANNOUNCE_PREVIEW)(guarded(on_announce_confirmed))


def _names(services: Services) -> dict[str, str]:
    return dict(services.program_options())


def _program_arg(services: Services, text: str) -> str | None:
    """ "" or "all" -> all announcements; a program slug or name (any case) -> the slug; else None."""
    wanted = " ".join(text.split()).lower()
    if wanted in ("", ALL_PROGRAMS):
        return ALL_PROGRAMS
    for slug, name in services.program_options():
        if wanted in (slug, name.lower()):
            return slug
    return None


def _unknown_program(services: Services, text: str, usage: str) -> dict[str, Any]:
    slugs = ", ".join(f"`{slug}`" for slug, _ in services.program_options())
    shown = escape(truncate(text.strip(), 40).replace("`", "'"))
    return text_message(f"I don't know the program `{shown}`. Use one of {slugs}, or nothing for all: `{usage}`")


def pmo_only(services: Services, user: str) -> Message | None:
    """Who may run ``/icam announce``: PMO members."""
    return None if services.is_pmo(user) else text_message(PMO_ONLY)


def in_channel(reply: Reply) -> Reply:
    """A subscription subcommand: run in a channel (not a direct message); a database failure is said plainly."""

    @functools.wraps(reply)
    async def run(call: Call) -> Message | None:
        channel = call.channel
        if not channel or channel.startswith("D"):
            return text_message(NOT_A_CHANNEL)
        try:
            return await reply(call)
        except SQLAlchemyError:
            logger.exception("/icam %s failed: database error (channel=%s)", call.subcommand.name, channel)
            return text_message(DATABASE_DOWN)

    return run


async def announce(call: Call) -> Message | None:
    """Open the announcement form (pre-filled with the text); None when it opened, else the reply saying why not."""
    services, client, trigger_id = call.services, call.client, call.command.get("trigger_id")
    text = call.rest.strip()
    if len(text) > BODY_LIMIT:
        return text_message(
            f"That announcement is {len(text):,} characters; Slack allows at most {BODY_LIMIT:,} in one message "
            "section. Shorten it, or run `/icam announce` and write it in the form."
        )
    if not trigger_id:
        logger.error("cannot open the announcement form: the command carried no trigger_id")
        return text_message("I could not open the announcement form. Please try again.")
    comms = services.comms
    try:
        reach = await asyncio.to_thread(comms.subscriptions.reach, [slug for slug, _ in services.program_options()])
    except SQLAlchemyError:
        logger.exception("could not count subscribed channels for the announcement form")
        return text_message(DATABASE_DOWN)
    draft = AnnouncementDraft(ALL_PROGRAMS, text) if text else None
    try:
        await client.views_open(trigger_id=trigger_id, view=announce_modal(services.program_options(), reach, draft))
    except SEND_ERRORS:
        services.metrics.slack_error("views.open")
        logger.exception("views.open failed for the announcement form")
        return text_message("I could not open the announcement form. Please try again.")
    return None


@in_channel
async def subscriptions(call: Call) -> Message:
    found = await asyncio.to_thread(call.services.comms.subscriptions.of_channel, call.channel)
    return text_message(subscriptions_text(found, _names(call.services)))


@in_channel
async def subscribe(call: Call) -> Message:
    services, client, channel, user, rest = call.services, call.client, call.channel, call.user, call.rest
    usage = f"{SLASH_COMMAND} {call.subcommand.usage}"
    program = _program_arg(services, rest)
    if program is None:
        return _unknown_program(services, rest, usage)
    subs = services.comms.subscriptions
    names = _names(services)
    label = subscription_label(program, names)
    done = await asyncio.to_thread(subs.subscribe, channel, program, user)
    if done is Subscribed.ALREADY:
        return text_message(f"This channel already receives {label}.")
    outcome = await services.sender.post_outcome(client, channel, **subscribed_notice(user, program, names))
    if outcome.error in CHANNEL_GONE_ERRORS:
        if done is Subscribed.NEW:
            await asyncio.to_thread(subs.unsubscribe, channel, program)
        else:
            await asyncio.to_thread(subs.disable, [channel], str(outcome.error))
        return text_message(INVITE_FIRST.format(command=f"{SLASH_COMMAND} subscribe {rest.strip()}".strip()))
    again = " again" if done is Subscribed.REACTIVATED else ""
    return text_message(
        f"This channel now receives {label}{again}. Stop with `{SLASH_COMMAND} unsubscribe`"
        + ("" if program == ALL_PROGRAMS else f" or `{SLASH_COMMAND} unsubscribe {program}`")
        + "."
    )


@in_channel
async def unsubscribe(call: Call) -> Message:
    services, client, channel, user, rest = call.services, call.client, call.channel, call.user, call.rest
    usage = f"{SLASH_COMMAND} {call.subcommand.usage}"
    program = None if not rest.strip() else _program_arg(services, rest)
    if rest.strip() and program is None:
        return _unknown_program(services, rest, usage)
    removed = await asyncio.to_thread(services.comms.subscriptions.unsubscribe, channel, program)
    names = _names(services)
    if not removed:
        what = "any announcements" if program is None else subscription_label(program, names)
        return text_message(f"This channel was not subscribed to {what}; nothing changed.")
    await services.sender.post_outcome(client, channel, **unsubscribed_notice(user, removed, names))
    labels = ", ".join(subscription_label(p, names) for p in removed)
    return text_message(f"This channel no longer receives {labels}.")


# -- the composer and the preview ---------------------------------------------------------------------------


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _values(view: dict[str, Any]) -> dict[str, Any]:
    values = (view.get("state") or {}).get("values")
    return values if isinstance(values, dict) else {}


async def on_announce_composed(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    """Problems (too long, empty, nobody subscribed) go back to the form as field errors before anything is
    sent; a good draft is saved and its preview pushed on top of the form."""
    services = services_of(context)
    user = _user(body)
    if not services.is_pmo(user):
        await ack(response_action="errors", errors={BlockId.BODY: PMO_ONLY})
        return
    values = _values(view)
    raw = AnnouncementDraft(
        audience=field_value(values, BlockId.AUDIENCE) or "",
        body=field_value(values, BlockId.BODY) or "",
        headline=field_value(values, BlockId.HEADLINE),
    )
    names = _names(services)
    try:
        draft = validate_draft(raw, names)
    except AnnouncementError as exc:
        await ack(response_action="errors", errors={k: f"{k.capitalize()} {v}" for k, v in exc.errors.items()})
        return
    comms = services.comms
    try:
        channels = await asyncio.to_thread(comms.subscriptions.audience, draft.audience)
        if not channels:
            await ack(
                response_action="errors",
                errors={
                    BlockId.AUDIENCE: "No channel is subscribed to this audience yet: run "
                    f"`{SLASH_COMMAND} subscribe` in a channel first."
                },
            )
            return
        saved = await asyncio.to_thread(comms.announcements.save_draft, user, draft)
    except Exception:  # the database down or refusing: the form stays open with the text in it
        logger.exception("could not save an announcement draft")
        await ack(response_action="errors", errors={BlockId.BODY: NOT_SAVED + " Your text is still here."})
        return
    await ack(response_action="push", view=preview_modal(saved, channels, names))


async def on_announce_confirmed(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any, client: AsyncWebClient
) -> None:
    """Send: confirm the draft once (a repeated submission sends nothing) and, in the same transaction, owe one
    post to each channel (the outbox paces them per channel, records each outcome and, after the last one, tells
    the author what happened and the PMO channel about channels that failed); then close the forms."""
    services = services_of(context)
    comms = services.comms
    user = _user(body)
    announcement_id = load_preview_metadata(view.get("private_metadata"))
    if announcement_id is None or not services.is_pmo(user):
        logger.warning("announcement confirmation refused (user=%s, id=%s)", user, announcement_id)
        await ack(response_action="clear")
        return
    try:
        confirmed = await asyncio.to_thread(comms.announcements.confirm, announcement_id, user)
    except Exception:  # the draft stays stored: nothing was sent, the author is told
        logger.exception("could not confirm announcement %d", announcement_id)
        await ack(response_action="clear")
        await services.sender.post_message(client, user, **text_message(DATABASE_DOWN + " Nothing was sent."))
        return
    await ack(response_action="clear")
    if confirmed is None:
        logger.info("announcement %d was already confirmed; not sending it again", announcement_id)
        return
    services.notify()
