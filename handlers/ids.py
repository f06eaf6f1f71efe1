"""Every action, callback and block id the app uses, in one place (the manifest and tests refer to these)."""

from __future__ import annotations

import enum
import re

SLASH_COMMAND = "/icam"


class ActionId(enum.StrEnum):
    """``action_id`` of interactive elements."""

    HELPFUL = "icam_helpful"
    NOT_HELPFUL = "icam_not_helpful"
    SHOW_OTHER = "icam_show_other"
    LOG_ISSUE = "icam_log_issue"
    LOG_FOR_PMO = "icam_log_for_pmo"
    PICK_ENTRY = "icam_pick_entry"  # suffixed with _0, _1, ... (ids must be unique within a block)


#: Matches every "pick this entry" button whatever its index.
PICK_ENTRY_PATTERN = re.compile(rf"^{ActionId.PICK_ENTRY}_\d+$")


class CallbackId(enum.StrEnum):
    """``callback_id`` of shortcuts and views."""

    SEND_TO_PMO = "icam_send_to_pmo"


class BlockId(enum.StrEnum):
    """``block_id`` of blocks whose actions are handled."""

    ANSWER_ACTIONS = "icam_answer_actions"
    SUGGESTIONS = "icam_suggestions"
    LOG_ACTIONS = "icam_log_actions"
