"""What the matcher returns for a question: its decision and the entries it ranked."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from icam_bot.knowledge.model import Redirect

MAX_SUGGESTIONS = 3


class Decision(enum.StrEnum):
    """What the matcher decided to do with a question."""

    ANSWER = "answer"
    SUGGEST = "suggest"
    ABSTAIN = "abstain"


@dataclass(frozen=True)
class Candidate:
    """A scored knowledge entry."""

    entry_id: str
    question: str
    category: str
    score: float


@dataclass(frozen=True)
class MatchResult:
    """The outcome for one question."""

    question: str
    decision: Decision
    best: Candidate | None = None
    candidates: tuple[Candidate, ...] = ()
    redirect: Redirect | None = None
    reason: str = ""
    truncated: bool = False
    #: How sure the matcher is that ``candidates[0]`` is the right answer (the answerability model), when known.
    confidence: float | None = None
    #: Entries close enough to list beside an abstain ("these might be related").
    related: tuple[Candidate, ...] = ()

    @property
    def answered(self) -> bool:
        return self.decision is Decision.ANSWER

    @property
    def suggestions(self) -> tuple[Candidate, ...]:
        """Close entries to offer as "did you mean" (for SUGGEST) or "other matches" (for ANSWER)."""
        if self.decision is Decision.ANSWER:
            return self.candidates[1 : 1 + MAX_SUGGESTIONS]
        if self.decision is Decision.SUGGEST:
            return self.candidates[:MAX_SUGGESTIONS]
        return self.related[:MAX_SUGGESTIONS]
