"""Tracker modals: the issue form, the reason form, and their typed private_metadata."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from handlers.common.blocks import Block, context, divider, plain
from handlers.common.forms import (
    field_value,  # noqa: F401  (the tracker's forms read their values with it)
    input_block,
    static_select,
    text_input,
)
from handlers.common.ids import ActionId, BlockId, CallbackId
from handlers.common.text import INPUT_LIMIT, MODAL_TITLE_LIMIT, escape, truncate
from icam_bot.tracker.models import ItemKind, Severity
from icam_bot.tracker.results import ItemView

TITLE_INPUT_LIMIT = 200
BUREAU_INPUT_LIMIT = 100
METADATA_LIMIT = 3000
DEFAULT_KIND = ItemKind.ISSUE
DEFAULT_SEVERITY = Severity.MEDIUM


# -- modal metadata (private_metadata, <= 3,000 characters) -------------------------------------------


@dataclass(frozen=True)
class IssueModalMeta:
    """Where the issue came from: the channel, thread and message link (kept on the item)."""

    channel_id: str | None = None
    thread_ts: str | None = None
    permalink: str | None = None
    #: The question-log row id (as text) when the form was opened from a reply's "Log an issue" button.
    question_log_id: str | None = None

    def dump(self) -> str:
        data = {k: v for k, v in asdict(self).items() if v is not None}
        if len(data.get("permalink") or "") > METADATA_LIMIT // 2:  # never break the 3,000-character limit
            del data["permalink"]
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def load(cls, raw: object) -> IssueModalMeta:
        data = _json_object(raw)
        return cls(**{f.name: str(data[f.name]) for f in fields(cls) if isinstance(data.get(f.name), str)})


@dataclass(frozen=True)
class ReasonModalMeta:
    """Which button opened the reason modal: the action, the item and the message (or Home tab) to refresh."""

    action: str
    item_id: int
    channel_id: str | None = None
    message_ts: str | None = None
    from_home: bool = False

    def dump(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def load(cls, raw: object) -> ReasonModalMeta | None:
        data = _json_object(raw)
        action, item_id = data.get("action"), data.get("item_id")
        if action not in (ActionId.ITEM_ESCALATE, ActionId.ITEM_RESOLVE) or not isinstance(item_id, int):
            return None
        channel, ts = data.get("channel_id"), data.get("message_ts")
        return cls(
            str(action),
            item_id,
            channel if isinstance(channel, str) else None,
            ts if isinstance(ts, str) else None,
            data.get("from_home") is True,
        )


def _json_object(raw: object) -> dict[str, Any]:
    try:
        data = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


# -- the issue modal -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueDraft:
    """What the modal is pre-filled with."""

    text: str = ""
    program: str = "other"
    meta: IssueModalMeta = IssueModalMeta()


def _title_from(text: str) -> str:
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    return truncate(first_line, 100)


def issue_modal(draft: IssueDraft, programs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The "Report to ICAM PMO" modal; ``programs`` is (slug, name) for the program select."""
    scale = [(str(n), str(n)) for n in range(1, 6)]
    blocks: list[Block] = [
        input_block(
            BlockId.KIND,
            "Kind",
            static_select([(k.value, k.value.capitalize()) for k in ItemKind], DEFAULT_KIND, "Kind"),
        ),
        input_block(BlockId.PROGRAM, "Program", static_select(programs, draft.program, "Which program?")),
        input_block(
            BlockId.SEVERITY,
            "Severity",
            static_select([(s.value, s.value.capitalize()) for s in Severity], DEFAULT_SEVERITY, "Severity"),
        ),
        input_block(BlockId.BUREAU, "Bureau / office", text_input("", BUREAU_INPUT_LIMIT), optional=True),
        input_block(BlockId.TITLE, "Title", text_input(_title_from(draft.text), TITLE_INPUT_LIMIT)),
        input_block(BlockId.DESCRIPTION, "Description", text_input(draft.text, INPUT_LIMIT, multiline=True)),
        divider(),
        context("*Risks only*: likelihood and impact (1 = lowest, 5 = highest) and who owns the mitigation."),
        input_block(BlockId.LIKELIHOOD, "Likelihood (risks)", static_select(scale, None, "1-5"), optional=True),
        input_block(BlockId.IMPACT, "Impact (risks)", static_select(scale, None, "1-5"), optional=True),
        input_block(
            BlockId.MITIGATION_OWNER,
            "Mitigation owner (risks)",
            {"type": "users_select", "action_id": ActionId.FIELD, "placeholder": plain("Pick a person")},
            optional=True,
        ),
    ]
    if draft.meta.permalink:
        blocks.append(context(f"From <{draft.meta.permalink}|this message>"))
    return {
        "type": "modal",
        "callback_id": CallbackId.ISSUE_MODAL,
        "title": plain("Report to ICAM PMO", MODAL_TITLE_LIMIT),
        "submit": plain("Send to ICAM PMO", MODAL_TITLE_LIMIT),
        "close": plain("Cancel", MODAL_TITLE_LIMIT),
        "private_metadata": draft.meta.dump(),
        "blocks": blocks,
    }


def field_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """ItemValidationError.errors as modal ``response_action: errors`` keyed by block id."""
    known = {b.value for b in BlockId}
    mapped: dict[str, str] = {}
    for name, problem in errors.items():
        block = name if name in known else BlockId.DESCRIPTION
        label = name.replace("_id", "").replace("_", " ").capitalize()
        mapped.setdefault(block, f"{label} {problem}")
    return mapped


def logged_modal(item: ItemView) -> dict[str, Any]:
    """What a re-submitted issue form turns into: the item the first submission stored."""
    text = (
        f":white_check_mark: This report is already logged as *{item.ref}* "
        f"({escape(truncate(item.title, 150))}). `/icam status {item.ref}` shows it any time."
    )
    return {
        "type": "modal",
        "callback_id": CallbackId.ISSUE_MODAL,
        "title": plain("Report to ICAM PMO", MODAL_TITLE_LIMIT),
        "close": plain("Close", MODAL_TITLE_LIMIT),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


# -- the reason modal (Escalate / Resolve buttons) ----------------------------------------------------------


def reason_modal(meta: ReasonModalMeta) -> dict[str, Any]:
    escalating = meta.action == ActionId.ITEM_ESCALATE
    verb = "Escalate" if escalating else "Resolve"
    label = "Why does it need escalating?" if escalating else "How was it resolved?"
    return {
        "type": "modal",
        "callback_id": CallbackId.REASON_MODAL,
        "title": plain(f"{verb} ICAM-{meta.item_id}", MODAL_TITLE_LIMIT),
        "submit": plain(verb, MODAL_TITLE_LIMIT),
        "close": plain("Cancel", MODAL_TITLE_LIMIT),
        "private_metadata": meta.dump(),
        "blocks": [input_block(BlockId.REASON, label, text_input("", INPUT_LIMIT, multiline=True))],
    }


# -- items ----------------------------------------------------------------------------------------------
