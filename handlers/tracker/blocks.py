"""Tracker messages: triage messages, notifications, command replies and the App Home queues."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from handlers.common.blocks import Block, actions, button, context, divider, encode_value, message, plain, sections
from handlers.common.ids import ActionId, BlockId
from handlers.common.text import INPUT_LIMIT, escape, truncate
from icam_bot.errors import IcamError
from icam_bot.tracker.errors import TrackerNotSavedError
from icam_bot.tracker.models import Status
from icam_bot.tracker.results import ActionResult, ItemView, Notification, NotificationKind
from icam_bot.tracker.stats import TrackerStats
from icam_bot.tracker.submission import NewItem

SUMMARY_LIMIT = 500
ECHO_LIMIT = 2900
FINISHED = (Status.RESOLVED, Status.CLOSED)
DETAIL_TEXT_LIMIT = 1500
_USER_ID = re.compile(r"[UW][A-Z0-9]+")


def mention(user: str) -> str:
    """A mention the bot writes, of a Slack user id; anything else is shown as (escaped) text."""
    return f"<@{user}>" if _USER_ID.fullmatch(user) else escape(user)


def notification_detail(note: Notification) -> str:
    """Built from structure: the tracker's words, then ``by <@actor>``, then what the person wrote, escaped.

    People's text is never un-escaped, so a comment typed as ``Approved by @CISO`` or ``@channel`` pings nobody.
    """
    parts = [escape(note.detail)] if note.detail else []
    if note.actor:
        parts.append(f"by {mention(note.actor)}")
    head = " ".join(parts)
    if not note.text:
        return head
    body = escape(truncate(note.text, DETAIL_TEXT_LIMIT))
    return f"{head}: {body}" if head else body


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return "—"
    stamp = int(moment.timestamp())
    return f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{moment.strftime('%Y-%m-%d %H:%M UTC')}>"


def _who(user: str | None) -> str:
    return f"<@{user}>" if user else "nobody"


def item_line(item: ItemView, now: dt.datetime) -> str:
    """One line about an item for lists."""
    overdue = " :warning: *overdue*" if item.is_overdue(now) else ""
    return (
        f"• *{item.ref}* [{item.severity.value}] {escape(truncate(item.title, 120))} — {item.status.value}, "
        f"{item.program}, {_who(item.assignee_id)}, due {_when(item.resolution_due_at)}{overdue}"
    )


def item_fields(item: ItemView) -> str:
    text = (
        f"*{item.ref}: {escape(truncate(item.title, 200))}*\n"
        f"{item.kind.value.capitalize()} · {item.program} · severity {item.severity.value} · "
        f"status *{item.status.value}*\nReporter {_who(item.reporter_id)} · assignee {_who(item.assignee_id)}"
        f" · resolution due {_when(item.resolution_due_at)}"
    )
    if item.risk_score is not None:
        text += f"\nRisk: likelihood {item.likelihood} × impact {item.impact} = {item.risk_score}"
    return text


def _action_buttons(item: ItemView) -> list[Block]:
    if item.status in FINISHED:
        return []
    value = encode_value(i=item.id)
    return [
        button("Acknowledge", ActionId.ITEM_ACKNOWLEDGE, value, style="primary"),
        button("Assign to me", ActionId.ITEM_ASSIGN_ME, value),
        button("Escalate", ActionId.ITEM_ESCALATE, value, style="danger"),
        button("Resolve", ActionId.ITEM_RESOLVE, value),
    ]


def item_buttons(item: ItemView, block_id: str = BlockId.ITEM_ACTIONS) -> list[Block]:
    """Acknowledge / Assign to me / Escalate / Resolve, for an open item."""
    buttons = _action_buttons(item)
    return [actions(block_id, buttons)] if buttons else []


RESTRICTED_NOTE = (
    ":lock: Details are restricted to the item's reporter and assignee, the program's staff and the ICAM PMO: "
    "*Show details* shows them to you privately if you are one of them."
)


def last_action_line(last_action: str, actor: str | None = None) -> str:
    """``Last action: <the bot's words> by <@actor>``: the words escaped, the mention written by the bot."""
    return f"Last action: {escape(last_action)}" + (f" by {mention(actor)}" if actor else "")


def restricted_message(
    item: ItemView, headline: str | None = None, last_action: str | None = None, actor: str | None = None
) -> dict[str, Any]:
    """An item of a sensitive program as a channel sees it: its id only, a way in for those allowed, the buttons;
    ``last_action`` by ``actor`` as in ``triage_message``."""
    label = f"{item.ref} (restricted)" + (f" {headline}" if headline else "")
    blocks = sections(f"*{item.ref}* (restricted)" + (f" {headline}" if headline else ""))
    blocks.append(context(RESTRICTED_NOTE, *([last_action_line(last_action, actor)] if last_action else [])))
    show = button("Show details", ActionId.ITEM_SHOW_DETAILS, encode_value(i=item.id))
    blocks.append(actions(BlockId.ITEM_ACTIONS, [show, *_action_buttons(item)]))
    return message(label, blocks)


def triage_message(item: ItemView, last_action: str | None = None, actor: str | None = None) -> dict[str, Any]:
    """The triage-channel message for an item, with its action buttons while it is open; ``last_action`` (the
    bot's words, e.g. "acknowledged") by ``actor`` is shown under it."""
    blocks = sections(item_fields(item))
    description = escape(truncate(item.description, SUMMARY_LIMIT))
    blocks.extend(sections(f">{description}".replace("\n", "\n>")))
    extra = [f"<{item.permalink}|Original message>"] if item.permalink else []
    if last_action:
        extra.append(last_action_line(last_action, actor))
    if extra:
        blocks.append(context(*extra))
    blocks.extend(item_buttons(item))
    return message(f"{item.ref}: {escape(item.title)} ({item.status.value})", blocks)


def item_detail_message(item: ItemView) -> dict[str, Any]:
    """``/icam status``: everything about one item (ephemeral)."""
    text = item_fields(item) + f"\nCreated {_when(item.created_at)} · escalation level {item.escalation_level}"
    if item.bureau:
        text += f"\nBureau / office: {escape(item.bureau)}"
    blocks = sections(text)
    blocks.extend(sections(escape(truncate(item.description, INPUT_LIMIT))))
    if item.resolution:
        blocks.extend(sections(f"*Resolution:* {escape(truncate(item.resolution, INPUT_LIMIT))}"))
    if item.permalink:
        blocks.append(context(f"<{item.permalink}|Original message>"))
    return message(f"{item.ref}: {escape(item.title)} ({item.status.value})", blocks)


def items_message(heading: str, items: Sequence[ItemView], now: dt.datetime, empty: str) -> dict[str, Any]:
    """``/icam mine`` and ``/icam queue``: one line per item."""
    if not items:
        return message(f"{heading}\n{empty}", sections(f"*{heading}*\n{empty}"))
    text = f"*{heading}* ({len(items)})\n" + "\n".join(item_line(i, now) for i in items)
    return message(text, sections(text))


def stats_message(stats: TrackerStats) -> dict[str, Any]:
    def counts(table: Mapping[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(table.items())) or "none"

    def hours(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f} h"

    text = (
        f"*ICAM tracker statistics*\nTotal {stats.total} · open {stats.open} · overdue {stats.overdue}\n"
        f"By status: {counts(stats.by_status)}\nBy program: {counts(stats.by_program)}\n"
        f"By severity: {counts(stats.by_severity)}\nMedian time to first response "
        f"{hours(stats.median_hours_to_first_response)} · to resolution {hours(stats.median_hours_to_resolution)}"
    )
    return message(text, sections(text))


def done_message(result: ActionResult, what: str) -> dict[str, Any]:
    """The ephemeral confirmation after an action."""
    text = f":white_check_mark: {result.item.ref} {what}."
    blocks = [*sections(text), *sections(item_fields(result.item))]
    if result.notices:
        blocks.append(context(*(escape(n) for n in result.notices)))
    return message(text, blocks)


def refusal_message(error: IcamError) -> dict[str, Any]:
    text = f":no_entry: Sorry, {escape(str(error))}."
    return message(text, sections(text))


def unsaved_message(error: TrackerNotSavedError, text: str | None = None) -> dict[str, Any]:
    """Nothing was saved (database down or refusing): say so plainly and hand the user's text back."""
    headline = f":warning: Sorry, {escape(str(error))}: your {error.operation} was *NOT saved*. Please try again later."
    blocks = sections(headline)
    echo = (text if text is not None else error.text) or ""
    if echo.strip():
        blocks.append(context("Here is what you wrote, so nothing is lost:"))
        blocks.extend(sections("```" + escape(truncate(echo, ECHO_LIMIT)) + "```"))
    return message(headline + ("\n" + escape(truncate(echo, ECHO_LIMIT)) if echo.strip() else ""), blocks)


def submission_echo(new: NewItem) -> str:
    """The whole submission as text: every field the reporter filled in."""
    lines = [
        f"Title: {new.title}",
        f"Kind: {new.kind} · Program: {new.program} · Severity: {new.severity}",
    ]
    if new.bureau:
        lines.append(f"Bureau / office: {new.bureau}")
    if new.likelihood is not None or new.impact is not None:
        owner = new.mitigation_owner_id or "—"
        lines.append(f"Likelihood: {new.likelihood} · Impact: {new.impact} · Mitigation owner: {owner}")
    if new.permalink:
        lines.append(f"From: {new.permalink}")
    lines.append(f"Description:\n{new.description}")
    return "\n".join(lines)


def unsaved_submission_message(new: NewItem, reason: str) -> dict[str, Any]:
    """A report that could not be saved after its form closed: the reason and the whole submission back."""
    headline = (
        f":warning: Sorry, your report *{escape(truncate(new.title, 150))}* was *NOT saved* ({escape(reason)}). "
        "Please send it again later; here is everything you wrote."
    )
    echo = escape(truncate(submission_echo(new), ECHO_LIMIT))
    blocks = [*sections(headline), *sections("```" + echo + "```")]
    return message(headline + "\n" + echo, blocks)


# -- notifications ----------------------------------------------------------------------------------------

_HEADLINES: dict[NotificationKind, str] = {
    NotificationKind.REPORTER_CONFIRMATION: ":white_check_mark: Thanks, your {kind} is logged as *{ref}*. "
    "You will hear from me when its status changes; `/icam status {ref}` shows it any time.",
    NotificationKind.NEW_ITEM_OWNER: ":inbox_tray: New {severity} {kind} for {program}, assigned to you: *{ref}*",
    NotificationKind.STATUS_CHANGED: ":arrows_counterclockwise: *{ref}* changed status: {detail}",
    NotificationKind.ASSIGNED: ":bust_in_silhouette: *{ref}* is now assigned to you ({detail})",
    NotificationKind.COMMENT_ADDED: ":speech_balloon: New comment on *{ref}* {detail}",
    NotificationKind.ESCALATED: ":rotating_light: *{ref}* was escalated {detail}",
    NotificationKind.SLA_BREACHED: ":rotating_light: *{ref}* missed its SLA and was escalated past you {detail}",
    NotificationKind.ESCALATED_PAST: ":arrow_double_up: *{ref}* was escalated past you {detail}",
    NotificationKind.SLA_REMINDER: ":alarm_clock: Reminder: *{ref}* needs a first response ({detail})",
    NotificationKind.REOPENED: ":repeat: *{ref}* was reopened {detail}",
}
#: Notifications whose recipient acts on the item: they carry the action buttons.
_ACTIONABLE = {
    NotificationKind.NEW_ITEM_OWNER,
    NotificationKind.ASSIGNED,
    NotificationKind.ESCALATED,
    NotificationKind.SLA_BREACHED,
    NotificationKind.ESCALATED_PAST,
    NotificationKind.SLA_REMINDER,
    NotificationKind.REOPENED,
}


#: What a restricted notification says instead of its headline and detail (no title, no free text).
_RESTRICTED_HEADLINES: dict[NotificationKind, str] = {
    NotificationKind.REPORTER_CONFIRMATION: "is logged",
    NotificationKind.NEW_ITEM_OWNER: "is new",
    NotificationKind.STATUS_CHANGED: "changed status",
    NotificationKind.ASSIGNED: "was assigned",
    NotificationKind.COMMENT_ADDED: "has a new comment",
    NotificationKind.ESCALATED: "was escalated",
    NotificationKind.SLA_BREACHED: "missed its SLA and was escalated",
    NotificationKind.ESCALATED_PAST: "was escalated",
    NotificationKind.SLA_REMINDER: "needs a first response",
    NotificationKind.REOPENED: "was reopened",
}


def notification_message(note: Notification, *, restricted: bool = False) -> dict[str, Any]:
    """The message delivering one tracker notification (a DM, or the triage channel's message); ``restricted``:
    a sensitive program's item posted in a channel (see ``restricted_message``)."""
    item = note.item
    if restricted:
        return restricted_message(item, _RESTRICTED_HEADLINES.get(note.kind))
    if note.kind is NotificationKind.NEW_ITEM_CHANNEL:
        return triage_message(item)
    headline = _HEADLINES[note.kind].format(
        ref=item.ref,
        kind=item.kind.value,
        severity=item.severity.value,
        program=item.program,
        detail=notification_detail(note),
    )
    blocks = [*sections(headline), *sections(item_fields(item))]
    if note.kind in _ACTIONABLE:
        blocks.extend(item_buttons(item))
    return message(headline, blocks)


# -- the Home tab's tracker part -------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackerHome:
    """What the Home tab shows of the tracker: the user's open items; for the PMO (or program owners) a queue."""

    now: dt.datetime
    mine: Sequence[ItemView] = ()
    queue: Sequence[ItemView] | None = None  # None: neither PMO member nor program owner
    unavailable: bool = False
    queue_title: str = "ICAM PMO queue"


HOME_ITEMS_PER_SECTION = 10


def _home_item(item: ItemView, now: dt.datetime, section: str) -> list[Block]:
    """An item line and its buttons; the block id names the section too (an item can be new and overdue)."""
    return [
        *sections(item_line(item, now)),
        *item_buttons(item, f"{BlockId.ITEM_ACTIONS}_{section}_{item.id}"),
    ]


def tracker_home_blocks(home: TrackerHome) -> list[Block]:
    """Tracker blocks for the Home tab (the caller caps the view at 100 blocks)."""
    blocks: list[Block] = [divider(), {"type": "header", "text": plain("Your ICAM items", 150)}]
    if home.unavailable:
        return [*blocks, context(":warning: The ICAM tracker is unavailable right now; try again later.")]
    if home.mine:
        blocks.extend(sections("\n".join(item_line(i, home.now) for i in home.mine[:20])))
    else:
        blocks.append(context("You have no open items. `/icam issue` reports one to the ICAM PMO."))
    if home.queue is None:
        return blocks
    fresh = [i for i in home.queue if i.status is Status.NEW or i.assignee_id is None]
    overdue = [i for i in home.queue if i.is_overdue(home.now)]
    blocks += [divider(), {"type": "header", "text": plain(home.queue_title, 150)}]
    for section, heading, items in (("new", "New / unassigned", fresh), ("overdue", "Overdue", overdue)):
        blocks.extend(sections(f"*{heading}* ({len(items)})"))
        if not items:
            blocks.append(context("Nothing here."))
        for item in items[:HOME_ITEMS_PER_SECTION]:
            blocks.extend(_home_item(item, home.now, section))
    by_program: dict[str, list[ItemView]] = {}
    for item in home.queue:
        by_program.setdefault(item.program, []).append(item)
    blocks.extend(sections("*Open items by program*"))
    if not by_program:
        blocks.append(context("No open items."))
    for program, items in sorted(by_program.items()):
        lines = "\n".join(item_line(i, home.now) for i in items[:HOME_ITEMS_PER_SECTION])
        more = f"\n_…and {len(items) - HOME_ITEMS_PER_SECTION} more (`/icam queue {program}`)_"
        extra = more if len(items) > HOME_ITEMS_PER_SECTION else ""
        blocks.extend(sections(f"*{program}* ({len(items)})\n{lines}{extra}"))
    return blocks


def error_message(error: IcamError) -> dict[str, Any]:
    """Any refusal (tracker, board) as a reply: "not saved" with the user's text when the database is down."""
    return unsaved_message(error) if isinstance(error, TrackerNotSavedError) else refusal_message(error)
