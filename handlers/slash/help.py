"""The ``/icam help`` message: every subcommand with an example (the lines come from the registry)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers.common.blocks import context, message, sections
from handlers.common.ids import SLASH_COMMAND
from handlers.common.text import escape, truncate

WAYS_TO_ASK = (
    f"You can also just type your question after `{SLASH_COMMAND}`, mention me in a channel (I answer in the "
    "thread), send me a direct message, or use the "
    "*Send to ICAM PMO* message shortcut (⋯ on any message) to report a message to the PMO."
)


def help_message(lines: Sequence[tuple[str, str, str]], unknown: str | None = None) -> dict[str, Any]:
    """The help text: (usage, what it does, example) per line (handlers.slash.subcommands.HELP_LINES);
    ``unknown`` is the subcommand the user typed that does not exist (escaped)."""
    shown = [
        f"• `{SLASH_COMMAND} {escape(usage)}`: {what}. Example: `{SLASH_COMMAND} {example}`"
        for usage, what, example in lines
    ]
    intro = "*ICAM bot commands*"
    if unknown:
        intro = f"I don't know the subcommand `{escape(truncate(unknown, 50))}`. " + intro
    text = intro + "\n" + "\n".join(shown)
    return message(text, [*sections(text), context(WAYS_TO_ASK)])
