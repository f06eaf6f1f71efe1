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
    ITEM_ACKNOWLEDGE = "icam_item_ack"
    ITEM_ASSIGN_ME = "icam_item_assign_me"
    ITEM_ESCALATE = "icam_item_escalate"
    ITEM_RESOLVE = "icam_item_resolve"
    ITEM_SHOW_DETAILS = "icam_item_show_details"  # restricted items: the details, privately, after a check
    REACTION_TICKET_CREATE = "icam_reaction_ticket_create"  # the reaction's ephemeral confirmation: create
    REACTION_TICKET_CANCEL = "icam_reaction_ticket_cancel"  # ... or cancel
    #: The input element inside every modal input block (the block id says which field it is).
    FIELD = "icam_field"


#: The tracker buttons on triage messages and the Home tab.
ITEM_ACTIONS = (ActionId.ITEM_ACKNOWLEDGE, ActionId.ITEM_ASSIGN_ME, ActionId.ITEM_ESCALATE, ActionId.ITEM_RESOLVE)


#: Matches every "pick this entry" button whatever its index.
PICK_ENTRY_PATTERN = re.compile(rf"^{ActionId.PICK_ENTRY}_\d+$")


class CallbackId(enum.StrEnum):
    """``callback_id`` of shortcuts and views."""

    SEND_TO_PMO = "icam_send_to_pmo"
    ISSUE_MODAL = "icam_issue_modal"
    REASON_MODAL = "icam_reason_modal"  # escalate / resolve from a button: asks for the reason or resolution
    ANNOUNCE_MODAL = "icam_announce_modal"  # /icam announce: compose (audience, headline, text)
    ANNOUNCE_PREVIEW = "icam_announce_preview"  # pushed on top of the composer: preview, then Send
    PROGRAM_MODAL = "icam_program_modal"  # /icam program: the PMO edits a program's RAG and one milestone


class BlockId(enum.StrEnum):
    """``block_id`` of blocks whose actions are handled."""

    ANSWER_ACTIONS = "icam_answer_actions"
    SUGGESTIONS = "icam_suggestions"
    LOG_ACTIONS = "icam_log_actions"
    REACTION_TICKET = "icam_reaction_ticket"
    ITEM_ACTIONS = "icam_item_actions"  # on the Home tab suffixed _<section>_<item id> (unique per view)
    # Modal input blocks: the keys of ItemValidationError.errors map onto these.
    KIND = "kind"
    PROGRAM = "program"
    SEVERITY = "severity"
    BUREAU = "bureau"
    TITLE = "title"
    DESCRIPTION = "description"
    LIKELIHOOD = "likelihood"
    IMPACT = "impact"
    MITIGATION_OWNER = "mitigation_owner_id"
    REASON = "reason"
    # The announcement composer (AnnouncementError.errors keys map onto these).
    AUDIENCE = "audience"
    HEADLINE = "headline"
    BODY = "body"
    # The program board form (BoardValidationError.errors keys map onto these: handlers/board/blocks.py).
    PROGRAM_RAG = "program_rag"
    PROGRAM_NOTE = "program_note"
    MILESTONE_NAME = "milestone_name"
    MILESTONE_WORKSTREAM = "milestone_workstream"
    MILESTONE_OWNER = "milestone_owner"
    MILESTONE_DUE = "milestone_due"
    MILESTONE_STATUS = "milestone_status"
    MILESTONE_RAG = "milestone_rag"
    MILESTONE_NOTE = "milestone_note"
