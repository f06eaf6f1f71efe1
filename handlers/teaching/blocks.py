"""Block Kit for teaching: the review queue's rows and drafts, the forms that close a row, and the message an
asker gets when their question is answered. Pure builders: plain values in, Block Kit out."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from handlers.common.blocks import Block, actions, button, context, divider, encode_value, message, plain, sections
from handlers.common.forms import input_block, static_select, text_input
from handlers.common.ids import ActionId, BlockId, CallbackId
from handlers.common.text import escape, truncate
from icam_bot.knowledge.model import Entry
from icam_bot.teaching.merge import Change
from icam_bot.teaching.queue import QueueRow

QUESTION_LIMIT = 200
ANSWER_PREVIEW = 300
EMPTY_QUEUE_TEXT = "No open questions: the knowledge base answered everything it was asked."
QUEUE_INTRO = (
    '*Questions to teach me*: unanswered, "did you mean" left unpicked, "Not helpful" votes and answers '
    "proposed from threads. Close a row with an entry, a new answer, or as not ICAM."
)


@dataclass(frozen=True)
class GapMeta:
    """A teaching form's context (in ``private_metadata``): the row it closes, where to confirm."""

    key: str = ""
    response_url: str = ""
    channel: str = ""

    def dumps(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))[:3000]

    @classmethod
    def loads(cls, raw: object) -> GapMeta:
        try:
            data = json.loads(raw) if isinstance(raw, str) and raw else {}
        except ValueError:
            data = {}
        fields = cls.__dataclass_fields__
        return cls(**{k: str(v) for k, v in data.items() if k in fields}) if isinstance(data, dict) else cls()


def _kinds(row: QueueRow) -> str:
    labels = {"unanswered": "unanswered", "suggested": "no pick", "not_helpful": "not helpful", "proposed": "proposed"}
    return ", ".join(f"{labels.get(k, k)} {n}" for k, n in sorted(row.kinds.items()))


def row_blocks(index: int, row: QueueRow, entries: Mapping[str, Entry]) -> list[Block]:
    """One queue row: the question, its numbers and askers, and the ways to close it."""
    askers = ", ".join(f"<@{u}>" for u in row.askers[:10]) + (" …" if len(row.askers) > 10 else "")
    others = len(row.questions) - 1
    text = f"*{row.count}×* {escape(truncate(row.question, QUESTION_LIMIT))}"
    if others > 0:
        text += f" _(+{others} similar)_"
    blocks: list[Block] = sections(text)
    first, last = row.first_asked_at.strftime("%Y-%m-%d"), row.last_asked_at.strftime("%Y-%m-%d")
    blocks.append(context(f"{_kinds(row)} · first {first} · last {last} · asked by {askers}"))
    if row.proposal is not None:
        proposed = escape(truncate(row.proposal.text, ANSWER_PREVIEW))
        blocks.extend(sections(f"Proposed by <@{row.proposal.by}>: _{proposed}_"))
    key = {"k": row.key}
    buttons = [
        button(f"It's: {entries[e].question}", f"{ActionId.GAP_ENTRY}_{i}", encode_value(**key, e=e))
        for i, e in enumerate(c for c in row.candidates if c in entries)
    ]
    buttons += [
        button("Another entry…", ActionId.GAP_FIND_ENTRY, encode_value(**key)),
        button("New answer", ActionId.GAP_NEW_ANSWER, encode_value(**key), style="primary"),
        button("Not ICAM", ActionId.GAP_NOT_ICAM, encode_value(**key)),
        button("Ignore", ActionId.GAP_IGNORE, encode_value(**key)),
    ]
    blocks.append(actions(f"{BlockId.GAP_ROW}_{index}", buttons))
    return blocks


def draft_blocks(index: int, draft: Change) -> list[Block]:
    """A draft waiting for a second person: what it is, who proposed it, Approve / Reject."""
    if draft.entry is not None:
        question = escape(truncate(str(draft.entry.get("question", "")), QUESTION_LIMIT))
        answer = escape(truncate(str(draft.entry.get("answer", "")), ANSWER_PREVIEW))
        text = f"*Draft `{draft.target_id}`*: {question}\n{answer}"
    else:
        text = f"*Flagged phrasing for `{draft.target_id}`*: {escape(truncate(draft.text or '', QUESTION_LIMIT))}"
    value = encode_value(c=draft.id)
    return [
        *sections(text),
        context(f"proposed by <@{draft.proposed_by}> · needs a second PMO member or a program owner"),
        actions(
            f"{BlockId.DRAFT_ROW}_{index}",
            [
                button("Approve", ActionId.DRAFT_APPROVE, value, style="primary"),
                button("Reject", ActionId.DRAFT_REJECT, value, style="danger"),
            ],
        ),
    ]


def queue_blocks(rows: Sequence[QueueRow], drafts: Sequence[Change], entries: Mapping[str, Entry]) -> list[Block]:
    blocks: list[Block] = sections(QUEUE_INTRO)
    if not rows:
        blocks.append(context(EMPTY_QUEUE_TEXT))
    for i, row in enumerate(rows):
        blocks += [divider(), *row_blocks(i, row, entries)]
    if drafts:
        blocks += [divider(), *sections("*Drafts waiting for approval*")]
        for i, draft in enumerate(drafts):
            blocks += draft_blocks(i, draft)
    return blocks


def queue_message(rows: Sequence[QueueRow], drafts: Sequence[Change], entries: Mapping[str, Entry]) -> dict[str, Any]:
    fallback = f"{len(rows)} open question(s) to teach, {len(drafts)} draft(s) waiting"
    return message(fallback, queue_blocks(rows[:8], drafts[:4], entries))


def _modal(callback: str, title: str, submit: str, blocks: list[Block], meta: GapMeta) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback,
        "title": plain(title, 24),
        "submit": plain(submit, 24),
        "close": plain("Cancel"),
        "private_metadata": meta.dumps(),
        "blocks": blocks,
    }


def entry_search_modal(meta: GapMeta, question: str) -> dict[str, Any]:
    """ "Another entry": words (or an entry id) to find the entry that answers the row."""
    blocks = [
        *sections(f"Which entry answers _{escape(truncate(question, QUESTION_LIMIT))}_?"),
        input_block(
            BlockId.GAP_SEARCH,
            "Entry id or words to search",
            text_input(None, 200),
            hint="The best match for your words is used; an exact entry id always wins.",
        ),
    ]
    return _modal(CallbackId.GAP_ENTRY_MODAL, "It's this entry", "Close row", blocks, meta)


@dataclass(frozen=True)
class AnswerDraft:
    """What the "New answer" form starts with."""

    question: str = ""
    answer: str = ""
    alternates: str = ""
    category: str | None = None
    owner: str | None = None
    sources: str = ""
    review_days: str = "365"
    entry_id: str = ""


def answer_modal(
    meta: GapMeta, draft: AnswerDraft, categories: Sequence[tuple[str, str]], programs: Sequence[str]
) -> dict[str, Any]:
    """ "New answer": question, answer, phrasings, category, owner, sources, review period (checked like kb check)."""
    blocks = [
        input_block(BlockId.GAP_QUESTION, "Question", text_input(draft.question, 250)),
        input_block(
            BlockId.GAP_ANSWER,
            "Answer",
            text_input(draft.answer, 2500, multiline=True),
            hint="Slack mrkdwn, no agency facts: use placeholders such as {helpdesk_contact}.",
        ),
        input_block(
            BlockId.GAP_ALTERNATES,
            "Other phrasings (one per line, at least 3)",
            text_input(draft.alternates, 3000, multiline=True),
        ),
        input_block(BlockId.GAP_CATEGORY, "Category", static_select(categories, draft.category, "Choose a category")),
        input_block(
            BlockId.GAP_OWNER, "Owner program", static_select([(p, p) for p in programs], draft.owner, "Program")
        ),
        input_block(
            BlockId.GAP_SOURCES,
            "Public sources (one per line: URL and title)",
            text_input(draft.sources, 2000, multiline=True),
        ),
        input_block(BlockId.GAP_REVIEW_DAYS, "Review every (days, 30-730)", text_input(draft.review_days, 3)),
        input_block(
            BlockId.GAP_ENTRY_ID,
            "Entry id",
            text_input(draft.entry_id, 100),
            optional=True,
            hint="Leave empty for a new entry (made from the question); an existing id edits that entry.",
        ),
    ]
    return _modal(CallbackId.GAP_ANSWER_MODAL, "New answer", "Save draft", blocks, meta)


def not_icam_modal(meta: GapMeta, question: str, redirects: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """ "Not ICAM": out of scope; optionally an example for an existing redirect (its askers get its message)."""
    blocks = [
        *sections(f"_{escape(truncate(question, QUESTION_LIMIT))}_ is not an ICAM question."),
        input_block(
            BlockId.GAP_REDIRECT,
            "Send people to (optional)",
            static_select(redirects, None, "A redirect"),
            optional=True,
            hint="Its questions become examples of the redirect, and the askers get its message.",
        ),
    ]
    return _modal(CallbackId.GAP_NOT_ICAM_MODAL, "Not ICAM", "Close row", blocks, meta)


def kb_answer_message(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The DM an asker gets when the PMO answers their question (the outbox's ``kb_answer`` topic)."""
    asked = escape(truncate(str(payload.get("question") or ""), QUESTION_LIMIT))
    intro = f"You asked me _{asked}_ and I couldn't answer then. The ICAM PMO has taught me:"
    blocks: list[Block] = sections(intro)
    text = str(payload.get("text") or "")
    if payload.get("kind") == "answer":
        blocks += sections(f"*{escape(str(payload.get('title') or ''))}*\n{text}")
        sources = payload.get("sources") or []
        if sources:
            links = " · ".join(f"<{s['url']}|{escape(str(s['title']))}>" for s in sources if isinstance(s, dict))
            blocks.append(context(f"Sources: {links}"))
    else:
        blocks += sections(text)
    return message(f"{intro}\n{text}", blocks)
