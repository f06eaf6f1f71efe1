"""The App Home tab: recent questions and how to ask; for PMO members the answer analytics and the top unanswered
questions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers.analytics.blocks import home_analytics_blocks
from handlers.common.blocks import Block, context, divider, plain, sections
from handlers.common.ids import SLASH_COMMAND
from handlers.common.text import VIEW_BLOCK_LIMIT, escape, truncate
from handlers.slash.help import WAYS_TO_ASK
from handlers.tracker.blocks import TrackerHome, tracker_home_blocks
from icam_bot.analytics.report import AnswerReport
from icam_bot.questions.store import GapRow, LoggedQuestion

QUESTION_LIMIT = 200


def home_view(
    recent: Sequence[LoggedQuestion],
    *,
    is_pmo: bool = False,
    gaps: Sequence[GapRow] = (),
    tracker: TrackerHome | None = None,
    answers: AnswerReport | None = None,
    teaching: Sequence[Block] = (),
) -> dict[str, Any]:
    """The Home tab view (at most 100 blocks); ``tracker`` adds the user's items and, for the PMO, the queue."""
    blocks: list[Block] = [
        {"type": "header", "text": plain("ICAM help desk front door", 150)},
        *sections(
            "Ask me about PIV cards and PINs, certificates, building access, sign-in and MFA, background "
            f"investigations or the ICAM program. Try `{SLASH_COMMAND} ask how do I reset my PIV PIN?`"
        ),
        context(WAYS_TO_ASK),
        divider(),
        *sections("*Your recent questions*"),
    ]
    if recent:
        lines = [f"• {escape(truncate(q.text, QUESTION_LIMIT))} ({_decision_label(q.decision)})" for q in recent]
        blocks.extend(sections("\n".join(lines)))
    else:
        blocks.append(context("You haven't asked me anything yet."))
    if tracker is not None:
        blocks.extend(tracker_home_blocks(tracker))
    if is_pmo:
        if answers is not None:
            blocks.extend(home_analytics_blocks(answers))
        blocks.extend(_pmo_blocks(gaps))
    blocks.extend(teaching)
    if len(blocks) > VIEW_BLOCK_LIMIT:
        blocks = [*blocks[: VIEW_BLOCK_LIMIT - 1], context("_Shortened to fit Slack's limits: use `/icam queue`._")]
    return {"type": "home", "blocks": blocks}


def _pmo_blocks(gaps: Sequence[GapRow]) -> list[Block]:
    blocks: list[Block] = [
        divider(),
        {"type": "header", "text": plain("Knowledge gaps", 150)},
        *sections(
            "Questions the knowledge base could not answer, most asked first (`icam-bot kb gaps` lists them all)."
        ),
    ]
    if not gaps:
        blocks.append(context("No unanswered questions yet."))
        return blocks
    lines = [
        f"• *{g.count}×* {escape(truncate(g.text, QUESTION_LIMIT))}"
        + (f" _(logged for the PMO {g.pmo_requests}×)_" if g.pmo_requests else "")
        for g in gaps
    ]
    blocks.extend(sections("\n".join(lines)))
    return blocks


def _decision_label(decision: str) -> str:
    return {
        "answer": "answered",
        "suggest": "suggestions offered",
        "abstain": "not answered",
        "redirect": "pointed elsewhere",
    }.get(decision, decision)
