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
    # The review queue (/icam gaps, App Home): close a row, decide a draft.
    GAP_ENTRY = "icam_gap_entry"  # "It's this entry" with a candidate, suffixed _0, _1, ...
    GAP_FIND_ENTRY = "icam_gap_find_entry"  # "It's another entry": a word search in a modal
    GAP_NEW_ANSWER = "icam_gap_new_answer"
    GAP_NOT_ICAM = "icam_gap_not_icam"
    GAP_IGNORE = "icam_gap_ignore"
    DRAFT_APPROVE = "icam_draft_approve"
    DRAFT_REJECT = "icam_draft_reject"


#: The tracker buttons on triage messages and the Home tab.
ITEM_ACTIONS = (ActionId.ITEM_ACKNOWLEDGE, ActionId.ITEM_ASSIGN_ME, ActionId.ITEM_ESCALATE, ActionId.ITEM_RESOLVE)


#: Matches every "It's this entry" button of the review queue whatever its index.
GAP_ENTRY_PATTERN = re.compile(rf"^{ActionId.GAP_ENTRY}_\d+$")

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
    MARK_AS_ANSWER = "icam_mark_as_answer"  # message shortcut: a PMO member's thread reply proposed as the answer
    GAP_ENTRY_MODAL = "icam_gap_entry_modal"  # "It's another entry": word search
    GAP_ANSWER_MODAL = "icam_gap_answer_modal"  # "New answer" (and editing an entry)
    GAP_NOT_ICAM_MODAL = "icam_gap_not_icam_modal"  # out of scope, optionally an example of a redirect


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
    # The review queue's rows (suffixed _<n>) and forms (TeachingService / FieldsError keys map onto these).
    GAP_ROW = "icam_gap_row"
    DRAFT_ROW = "icam_draft_row"
    GAP_SEARCH = "search"
    GAP_QUESTION = "question"
    GAP_ANSWER = "answer"
    GAP_ALTERNATES = "alternates"
    GAP_CATEGORY = "category"
    GAP_OWNER = "owner"
    GAP_SOURCES = "sources"
    GAP_REVIEW_DAYS = "review_days"
    GAP_ENTRY_ID = "entry_id"
    GAP_REDIRECT = "redirect"
