"""Pure parsing of what Slack sends: command arguments, user mentions and modal state."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from handlers.common.forms import field_value
from handlers.common.ids import BlockId
from handlers.tracker.modals import IssueModalMeta
from icam_bot.tracker.models import ItemKind
from icam_bot.tracker.service import NewItem

#: ``<@U123|name>`` or ``<@U123>`` (how Slack sends a mention in command text), or a bare user id.
_MENTION = re.compile(r"^\s*(?:<@([UW][A-Z0-9]{2,30})(?:\|[^>]*)?>|@?([UW][A-Z0-9]{2,30}))\s*$")


def parse_user(text: str) -> str | None:
    """The Slack user id in ``text`` (a mention or a bare id), else None."""
    match = _MENTION.match(text or "")
    return (match[1] or match[2]) if match else None


def split_ref(text: str) -> tuple[str, str]:
    """``"ICAM-12 the rest"`` -> ``("ICAM-12", "the rest")``."""
    ref, _, rest = (text or "").strip().partition(" ")
    return ref, rest.strip()


def _score(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def new_item_from_state(values: Mapping[str, Any], reporter_id: str, meta: IssueModalMeta) -> NewItem:
    """The issue modal's submitted state as a NewItem; risk-only fields are dropped for other kinds."""
    kind = field_value(values, BlockId.KIND) or ""
    risk = kind == ItemKind.RISK
    return NewItem(
        kind=kind,
        title=field_value(values, BlockId.TITLE) or "",
        description=field_value(values, BlockId.DESCRIPTION) or "",
        program=field_value(values, BlockId.PROGRAM) or "",
        severity=field_value(values, BlockId.SEVERITY) or "",
        reporter_id=reporter_id,
        bureau=field_value(values, BlockId.BUREAU),
        channel_id=meta.channel_id,
        thread_ts=meta.thread_ts,
        permalink=meta.permalink,
        question_log_id=int(meta.question_log_id) if (meta.question_log_id or "").isdigit() else None,
        likelihood=_score(field_value(values, BlockId.LIKELIHOOD)) if risk else None,
        impact=_score(field_value(values, BlockId.IMPACT)) if risk else None,
        mitigation_owner_id=field_value(values, BlockId.MITIGATION_OWNER) if risk else None,
    )


def is_shared_conversation(conversation: str | None) -> bool:
    """A channel or group conversation (``C…``, ``G…``) rather than a direct message or a user id."""
    return bool(conversation) and str(conversation)[:1] in ("C", "G")
