"""The ``/icam help`` message: every subcommand with an example."""

from __future__ import annotations

from typing import Any

from handlers.blocks.common import context, message, sections
from handlers.ids import SLASH_COMMAND
from handlers.text import escape, truncate

#: (usage, what it does, example) for every subcommand.
SUBCOMMANDS: tuple[tuple[str, str, str], ...] = (
    ("ask <question>", "answer a question from the ICAM knowledge base", "ask how do I reset my PIV PIN?"),
    ("help", "show this list", "help"),
)

WAYS_TO_ASK = (
    "You can also mention me in a channel (I answer in the thread), send me a direct message, or use the "
    "*Send to ICAM PMO* message shortcut (⋯ on any message) to pass a message to the PMO."
)


def help_message(unknown: str | None = None) -> dict[str, Any]:
    """The help text; ``unknown`` is the subcommand the user typed that does not exist (escaped)."""
    lines = [
        f"• `{SLASH_COMMAND} {usage}`: {what}. Example: `{SLASH_COMMAND} {example}`"
        for usage, what, example in SUBCOMMANDS
    ]
    intro = "*ICAM bot commands*"
    if unknown:
        intro = f"I don't know the subcommand `{escape(truncate(unknown, 50))}`. " + intro
    text = intro + "\n" + "\n".join(lines)
    return message(text, [*sections(text), context(WAYS_TO_ASK)])
