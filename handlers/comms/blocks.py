"""Communications in Block Kit: the announcement composer and preview, announcements, subscription replies and
delivery reports (the weekly digest is handlers/comms/digest_blocks.py). Pure builders: data in, dicts out."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from handlers.common.blocks import Block, context, divider, message, plain, sections
from handlers.common.forms import input_block
from handlers.common.ids import SLASH_COMMAND, ActionId, BlockId, CallbackId
from handlers.common.text import MODAL_TITLE_LIMIT, escape, truncate
from icam_bot.comms.announcements import HEADLINE_LIMIT, AnnouncementDraft, AnnouncementView
from icam_bot.comms.delivery import CHANNEL_GONE_ERRORS, DeliveryReport
from icam_bot.comms.models import ALL_PROGRAMS
from icam_bot.comms.subscriptions import SubscriptionView

#: How many channels a preview or report names before summarising the rest.
CHANNELS_SHOWN = 25
ERROR_MEANINGS = {
    "not_in_channel": "I am no longer a member of the channel",
    "channel_not_found": "the channel does not exist any more or I cannot see it",
    "is_archived": "the channel is archived",
    "request_failed": "Slack could not be reached after retries",
}


def audience_label(audience: str, programs: Mapping[str, str]) -> str:
    return "all subscribed channels" if audience == ALL_PROGRAMS else f"{programs.get(audience, audience)} subscribers"


def _channels(channels: Sequence[str]) -> str:
    shown = ", ".join(f"<#{c}>" for c in channels[:CHANNELS_SHOWN])
    more = len(channels) - CHANNELS_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


# -- the composer and its preview ----------------------------------------------------------------------


def announce_modal(
    programs: Sequence[tuple[str, str]], reach: Mapping[str, int], draft: AnnouncementDraft | None = None
) -> dict[str, Any]:
    """The "/icam announce" composer; ``reach`` is how many channels each audience would reach now."""
    options = [(ALL_PROGRAMS, f"All subscribed channels ({reach.get(ALL_PROGRAMS, 0)})")]
    options += [(slug, f"{name} ({reach.get(slug, 0)} channels)") for slug, name in programs]

    def option(value: str, label: str) -> dict[str, Any]:
        return {"text": plain(label, 75), "value": value}

    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": ActionId.FIELD,
        "placeholder": plain("Who should receive it?"),
        "options": [option(v, label) for v, label in options],
        "initial_option": option(*options[0]),
    }
    if draft is not None:
        chosen = [option(v, label) for v, label in options if v == draft.audience]
        select["initial_option"] = chosen[0] if chosen else select["initial_option"]
    headline: dict[str, Any] = {"type": "plain_text_input", "action_id": ActionId.FIELD}
    body: dict[str, Any] = {"type": "plain_text_input", "action_id": ActionId.FIELD, "multiline": True}
    if draft is not None and draft.headline:
        headline["initial_value"] = draft.headline
    if draft is not None and draft.body:
        body["initial_value"] = draft.body
    return {
        "type": "modal",
        "callback_id": CallbackId.ANNOUNCE_MODAL,
        "title": plain("New announcement", MODAL_TITLE_LIMIT),
        "submit": plain("Preview", MODAL_TITLE_LIMIT),
        "close": plain("Cancel", MODAL_TITLE_LIMIT),
        "blocks": [
            input_block(
                BlockId.AUDIENCE,
                "Audience",
                select,
                hint="A program's announcement also reaches channels subscribed to all announcements.",
            ),
            input_block(
                BlockId.HEADLINE,
                "Headline",
                headline,
                optional=True,
                hint=f"One line, up to {HEADLINE_LIMIT} characters.",
            ),
            input_block(BlockId.BODY, "Announcement", body, hint="Plain text; up to 3,000 characters."),
        ],
    }


def preview_metadata(announcement_id: int) -> str:
    return json.dumps({"announcement_id": announcement_id})


def load_preview_metadata(raw: object) -> int | None:
    try:
        data = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        return None
    value = data.get("announcement_id") if isinstance(data, dict) else None
    return value if isinstance(value, int) else None


def preview_modal(
    announcement: AnnouncementView, channels: Sequence[str], programs: Mapping[str, str]
) -> dict[str, Any]:
    """Pushed over the composer: the message exactly as it will be posted, where it goes, and Send."""
    shown = announcement_message(announcement, programs)["blocks"]
    where = (
        f"*Will be posted to {len(channels)} channel(s)* ({audience_label(announcement.audience, programs)}): "
        f"{_channels(channels)}"
    )
    return {
        "type": "modal",
        "callback_id": CallbackId.ANNOUNCE_PREVIEW,
        "title": plain("Preview announcement", MODAL_TITLE_LIMIT),
        "submit": plain("Send now", MODAL_TITLE_LIMIT),
        "close": plain("Back to edit", MODAL_TITLE_LIMIT),
        "private_metadata": preview_metadata(announcement.id),
        "blocks": [
            context("_This is how the announcement will look:_"),
            *shown,
            divider(),
            *sections(where),
            context("Nothing is sent until you press *Send now*. Messages go out at most one per second per channel."),
        ],
    }


# -- the announcement and what happened to it ---------------------------------------------------------------


def announcement_message(announcement: AnnouncementView, programs: Mapping[str, str]) -> dict[str, Any]:
    """The message posted in each subscribed channel (the author's text escaped: it cannot ping @channel)."""
    blocks: list[Block] = []
    if announcement.headline:
        blocks.append({"type": "header", "text": plain(truncate(announcement.headline, HEADLINE_LIMIT))})
    blocks += sections(escape(announcement.body))
    blocks.append(
        context(
            f":mega: ICAM PMO announcement from <@{announcement.author_id}> to "
            f"{audience_label(announcement.audience, programs)} · `{SLASH_COMMAND} unsubscribe` to stop them here"
        )
    )
    fallback = announcement.headline or announcement.body
    return message(f"ICAM PMO announcement: {escape(truncate(fallback, 300))}", blocks)


def _failure_lines(report: DeliveryReport) -> list[str]:
    lines = []
    for channel, error in report.failed.items():
        meaning = ERROR_MEANINGS.get(error, "Slack refused the message")
        paused = " — its subscription is paused until someone subscribes again" if error in CHANNEL_GONE_ERRORS else ""
        lines.append(f"• <#{channel}>: `{escape(error)}` ({meaning}){paused}")
    return lines


def delivery_report_message(report: DeliveryReport) -> dict[str, Any]:
    """To the author, once every channel was tried."""
    head = f"Announcement #{report.announcement_id} was posted to {len(report.sent)} of {report.total} channel(s)."
    if not report.total:
        head = f"Announcement #{report.announcement_id} reached no channel: none is subscribed to its audience."
    text = head
    if report.failed:
        text += "\n*Not delivered:*\n" + "\n".join(_failure_lines(report))
    return message(head, sections(text))


def channel_problems_message(report: DeliveryReport) -> dict[str, Any]:
    """To the PMO channel when channels could not receive an announcement."""
    text = (
        f":warning: Announcement #{report.announcement_id} could not be posted to {len(report.failed)} channel(s):\n"
        + "\n".join(_failure_lines(report))
        + f"\nInvite me back (`/invite @icam-bot`) and run `{SLASH_COMMAND} subscribe` there to resume."
    )
    return message(text.splitlines()[0], sections(text))


# -- subscriptions -------------------------------------------------------------------------------------------


def subscription_label(program: str, programs: Mapping[str, str]) -> str:
    return (
        "all ICAM PMO announcements" if program == ALL_PROGRAMS else f"{programs.get(program, program)} announcements"
    )


def subscribed_notice(user_id: str, program: str, programs: Mapping[str, str]) -> dict[str, Any]:
    """Posted in the channel itself, so everyone there sees who subscribed it."""
    text = (
        f"<@{user_id}> subscribed this channel to {subscription_label(program, programs)}. "
        f"Stop them with `{SLASH_COMMAND} unsubscribe`."
    )
    return message(text, sections(text))


def unsubscribed_notice(user_id: str, removed: Sequence[str], programs: Mapping[str, str]) -> dict[str, Any]:
    labels = ", ".join(subscription_label(p, programs) for p in removed)
    text = f"<@{user_id}> unsubscribed this channel from {labels}."
    return message(text, sections(text))


def subscriptions_text(subs: Sequence[SubscriptionView], programs: Mapping[str, str]) -> str:
    if not subs:
        return "This channel is not subscribed to any announcements."
    lines = []
    for sub in subs:
        paused = f" — *paused* (`{escape(sub.disabled_reason)}`)" if sub.disabled_reason else ""
        lines.append(f"• {subscription_label(sub.program, programs)} (by <@{sub.subscribed_by}>){paused}")
    return "This channel receives:\n" + "\n".join(lines)
