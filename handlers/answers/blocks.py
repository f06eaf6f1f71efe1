"""Messages about a question: the answer, "did you mean", abstain/redirect, and confirmations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers.common.blocks import (
    Block,
    actions,
    button,
    context,
    encode_value,
    message,
    sections,
    text_message,
)
from handlers.common.ids import ActionId, BlockId
from handlers.common.text import BUTTON_VALUE_LIMIT, escape, truncate
from icam_bot.answers import RELATED_TEXT, Reply, Suggestion
from icam_bot.matching.engine import Decision

ECHO_LIMIT = 300

BUSY_TEXT = "I'm answering a great many questions right now and can't take yours. Please ask again in a minute."


def you_asked(question: str) -> str:
    """The user's question echoed back, escaped so it can never ping anyone."""
    return f"You asked: _{escape(truncate(question, ECHO_LIMIT))}_"


def question_ref(log_id: int | None, question: str) -> dict[str, str | int | None]:
    """How a button refers to the question behind a reply: its question-log row, or (when it could not be
    recorded, e.g. a brief database failure) the question itself, cut to fit Slack's 2,000-character value."""
    if log_id is not None or not question.strip():
        return {"q": log_id}
    kept = question[:BUTTON_VALUE_LIMIT]
    while len(encode_value(t=kept)) > BUTTON_VALUE_LIMIT - 100:  # room for the button's other fields
        kept = kept[: len(kept) * 3 // 4]
    return {"t": kept}


def answer_message(reply: Reply, log_id: int | None = None) -> dict[str, Any]:
    """The message for any reply: answer, suggestions, redirect or abstain, with the right buttons."""
    if reply.decision is Decision.ANSWER and reply.entry is not None:
        return _answered(reply, log_id)
    if reply.decision is Decision.SUGGEST and reply.suggestions:
        return suggestions_message(reply.suggestions, reply.text, log_id, question=reply.question)
    blocks: list[Block] = sections(reply.text)
    if reply.question.strip() and reply.reason not in ("empty", "no_words"):
        blocks.append(context(you_asked(reply.question), *reply.notes))
    fallback = reply.text
    if reply.suggestions:
        blocks += [*sections(RELATED_TEXT), actions(BlockId.SUGGESTIONS, _picks(reply.suggestions, log_id))]
        fallback += "\n" + RELATED_TEXT + "\n" + "\n".join(f"• {s.question}" for s in reply.suggestions)
    if reply.can_log:
        blocks.append(
            actions(
                BlockId.LOG_ACTIONS,
                [
                    button(
                        "Log my question for the ICAM PMO",
                        ActionId.LOG_FOR_PMO,
                        encode_value(**question_ref(log_id, reply.question)),
                        style="primary",
                    )
                ],
            )
        )
    return message(fallback, blocks)


def _answered(reply: Reply, log_id: int | None) -> dict[str, Any]:
    entry = reply.entry
    assert entry is not None
    blocks: list[Block] = sections(f"*{escape(entry.question)}*\n{reply.text}")
    if reply.sources:
        links = " · ".join(f"<{ref.url}|{escape(ref.title)}>" for ref in reply.sources)
        blocks.append(context(f"Sources: {links}"))
    if reply.notes:
        blocks.append(context(*reply.notes))
    buttons = [
        button("Helpful", ActionId.HELPFUL, encode_value(e=entry.id, q=log_id)),
        button("Not helpful", ActionId.NOT_HELPFUL, encode_value(e=entry.id, q=log_id)),
    ]
    if reply.suggestions:
        ids = ",".join(s.id for s in reply.suggestions)
        buttons.append(button("Show other matches", ActionId.SHOW_OTHER, encode_value(ids=ids, q=log_id)))
    log_value = encode_value(**question_ref(log_id, reply.question), e=entry.id)
    buttons.append(button("Log this as an issue", ActionId.LOG_ISSUE, log_value))
    blocks.append(actions(BlockId.ANSWER_ACTIONS, buttons))
    return message(f"{entry.question}\n{reply.text}", blocks)


def suggestions_message(
    suggestions: Sequence[Suggestion],
    intro: str,
    log_id: int | None = None,
    question: str = "",
    offer_log: bool = True,
) -> dict[str, Any]:
    """Close entries as buttons; pressing one posts that entry's answer."""
    blocks: list[Block] = sections(intro)
    if question.strip():
        blocks.append(context(you_asked(question)))
    blocks.append(actions(BlockId.SUGGESTIONS, _picks(suggestions, log_id)))
    if offer_log:
        blocks.append(
            actions(
                BlockId.LOG_ACTIONS,
                [
                    button(
                        "None of these: log it for the PMO",
                        ActionId.LOG_FOR_PMO,
                        encode_value(**question_ref(log_id, question)),
                    )
                ],
            )
        )
    fallback = intro + "\n" + "\n".join(f"• {s.question}" for s in suggestions)
    return message(fallback, blocks)


def _picks(suggestions: Sequence[Suggestion], log_id: int | None) -> list[Block]:
    """One button per close entry; pressing it posts that entry's answer."""
    return [
        button(s.question, f"{ActionId.PICK_ENTRY}_{i}", encode_value(e=s.id, q=log_id))
        for i, s in enumerate(suggestions)
    ]


def feedback_message(helpful: bool) -> dict[str, Any]:
    text = (
        "Thanks, glad that helped."
        if helpful
        else "Thanks for telling me. If you still need help, press *Log this as an issue* and the ICAM PMO "
        "will follow up."
    )
    return text_message(text)
