"""Errors the board raises; each message is safe to show to the Slack user as it is (nothing was written)."""

from __future__ import annotations

from icam_bot.errors import FieldsError, IcamError
from icam_bot.knowledge.schema import Problem


class BoardError(IcamError):
    """Base class: a refused or failed board operation. Nothing was written."""


class UnknownProgramError(BoardError):
    """The text names no component program; ``suggestion`` is the closest slug, if any is close."""

    def __init__(self, text: str, suggestion: str | None, choices: tuple[str, ...]) -> None:
        self.text = text
        self.suggestion = suggestion
        hint = f"did you mean `{suggestion}`?" if suggestion else f"the programs are {', '.join(choices)}"
        super().__init__(f"there is no component program called {text[:60]!r}: {hint}")


class UnknownMilestoneError(BoardError):
    """A program has no milestone by that name."""


class BoardValidationError(BoardError, FieldsError):
    """Submitted board values are invalid; ``errors`` maps field name to message (for modal errors)."""


class PlanError(BoardError):
    """A plan file (YAML) is invalid; ``problems`` names file, entry and field of each. Nothing was imported."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"the plan has {len(problems)} problem(s), nothing was imported:\n{lines}")
