"""The ``/icam help`` message: every subcommand with an example."""

from __future__ import annotations

from typing import Any

from handlers.common.blocks import context, message, sections
from handlers.common.ids import SLASH_COMMAND
from handlers.common.text import escape, truncate

#: (usage, what it does, example) for every subcommand.
SUBCOMMANDS: tuple[tuple[str, str, str], ...] = (
    (
        "ask <question>",
        "answer a question from the ICAM knowledge base (`ask` may be left out)",
        "ask how do I reset my PIV PIN?",
    ),
    (
        "issue [text]",
        "report a question, issue, concern or risk to the ICAM PMO (opens a form)",
        "issue badge readers in building 3 reject new PIV cards",
    ),
    ("status ICAM-<n>", "show one item you raised, own or work on", "status ICAM-12"),
    ("status", "the program status board: every program's RAG, next milestone, open items, overdue", "status"),
    ("status <program>", "one program's workstreams, milestones, risks and recent changes", "status credentialing"),
    ("risks", "PMO, ESC and program staff: top open risks by likelihood × impact", "risks"),
    (
        "program [program [milestone]]",
        "PMO: set a program's RAG and note, add or edit a milestone (opens a form)",
        "program credentialing",
    ),
    ("mine", "list the open items you raised or are assigned", "mine"),
    ("queue [program]", "PMO and program owners: open items, most urgent first", "queue credentialing"),
    ("assign ICAM-<n> @person", "give an item to someone (owners and the PMO)", "assign ICAM-12 @jane.doe"),
    ("comment ICAM-<n> <text>", "add a comment (the reporter and assignee are told)", "comment ICAM-12 card re-issued"),
    ("escalate ICAM-<n> <reason>", "escalate one level up the chain", "escalate ICAM-12 blocking 40 staff"),
    ("resolve ICAM-<n> <resolution>", "resolve an item", "resolve ICAM-12 reader firmware updated"),
    ("reopen ICAM-<n> [reason]", "reopen a resolved or closed item", "reopen ICAM-12 still failing"),
    ("stats", "PMO and ESC: tracker statistics", "stats"),
    (
        "subscribe [program]",
        "this channel receives ICAM PMO announcements: all of them, or one program's (anyone in the channel)",
        "subscribe credentialing",
    ),
    ("unsubscribe [program]", "stop this channel's announcements (all, or one program's)", "unsubscribe"),
    ("subscriptions", "show what this channel is subscribed to", "subscriptions"),
    ("announce [text]", "PMO: write an announcement, preview it and post it to subscribed channels", "announce"),
    ("help", "show this list", "help"),
)

WAYS_TO_ASK = (
    f"You can also just type your question after `{SLASH_COMMAND}`, mention me in a channel (I answer in the "
    "thread), send me a direct message, or use the "
    "*Send to ICAM PMO* message shortcut (⋯ on any message) to report a message to the PMO."
)


def help_message(unknown: str | None = None) -> dict[str, Any]:
    """The help text; ``unknown`` is the subcommand the user typed that does not exist (escaped)."""
    lines = [
        f"• `{SLASH_COMMAND} {escape(usage)}`: {what}. Example: `{SLASH_COMMAND} {example}`"
        for usage, what, example in SUBCOMMANDS
    ]
    intro = "*ICAM bot commands*"
    if unknown:
        intro = f"I don't know the subcommand `{escape(truncate(unknown, 50))}`. " + intro
    text = intro + "\n" + "\n".join(lines)
    return message(text, [*sections(text), context(WAYS_TO_ASK)])
