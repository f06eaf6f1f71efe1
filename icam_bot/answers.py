"""Turn a match into a reply: the answer text with agency values filled in, sources and suggestions.

Shared by the console, the CLI and Slack; nothing here knows about Slack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from icam_bot.knowledge.model import Entry, KnowledgeBase, Reference
from icam_bot.knowledge.site import render
from icam_bot.matching.engine import Candidate, Decision, Matcher, MatchResult
from icam_bot.text.normalize import MAX_QUESTION_CHARS

ABSTAIN_TEXT = (
    "I don't have a reliable answer to that in the ICAM knowledge base, and I'd rather not guess. "
    "I can log your question for the ICAM PMO so a person can answer it and the knowledge base can grow."
)
SUGGEST_TEXT = "I'm not sure I understood. Did you mean one of these?"
RELATED_TEXT = "These entries might be related:"
EMPTY_TEXT = (
    "I didn't find a question in that message. Ask me about PIV cards, PINs, certificates, building "
    "access, sign-in and MFA, background investigations, or the ICAM program, e.g. _how do I reset my PIV PIN?_"
)
NO_WORDS_TEXT = (
    "I couldn't find any words I can work with in that message. I answer ICAM questions in English, "
    "e.g. _my PIV card is locked_ or _what does PACS stand for?_"
)
#: Replies to this many recent distinct questions are kept (staff ask the same things; the KB does not change).
RECENT_REPLIES = 2048
TRUNCATED_NOTE = f"Your message was long, so I read only its first {MAX_QUESTION_CHARS:,} characters."


@dataclass(frozen=True)
class Suggestion:
    """A close entry offered as "did you mean" or "other matches"."""

    id: str
    question: str
    score: float


@dataclass(frozen=True)
class Reply:
    """What the bot says about one question, independent of where it is shown."""

    question: str
    decision: Decision
    text: str
    entry: Entry | None = None
    score: float = 0.0
    sources: tuple[Reference, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    redirect_id: str | None = None
    reason: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: How sure the matcher is of the best entry (its answerability model's probability, 0-1), when known.
    confidence: float | None = None

    @property
    def answered(self) -> bool:
        return self.decision is Decision.ANSWER

    @property
    def kind(self) -> str:
        """What the person got: ``answer``, ``suggest``, ``abstain`` or ``redirect`` (an abstention pointing
        elsewhere: IT, HR, facilities...), for counting replies."""
        return "redirect" if self.redirect_id is not None else self.decision.value

    @property
    def can_log(self) -> bool:
        """Whether offering to log the question for the PMO makes sense."""
        return (
            self.decision is not Decision.ANSWER
            and self.redirect_id is None
            and self.reason
            not in (
                "empty",
                "no_words",
            )
        )

    def as_json(self) -> dict[str, object]:
        """The stable JSON shape of ``icam-bot ask --json``."""
        entry = self.entry
        return {
            "question": self.question,
            "answered": self.answered,
            "decision": self.decision.value,
            "id": entry.id if entry else None,
            "answer": self.text if entry else None,
            "score": round(self.score, 4),
            "category": entry.category if entry else None,
            "suggestions": [{"id": s.id, "question": s.question, "score": round(s.score, 4)} for s in self.suggestions],
            "redirect": self.redirect_id,
            "message": None if entry else self.text,
            "sources": [{"title": r.title, "url": r.url} for r in self.sources],
            "notes": list(self.notes),
        }


class Responder:
    """Answers questions from a knowledge base with a matcher."""

    def __init__(self, kb: KnowledgeBase, matcher: Matcher) -> None:
        self.kb = kb
        self.matcher = matcher
        self._entries = kb.by_id()
        self._recent: dict[str, Reply] = {}

    def swap(self, kb: KnowledgeBase, matcher: Matcher) -> None:
        """Answer from ``kb`` (live additions merged in) from now on; replies kept for the old one are dropped.
        Entries first: a question matched by the old matcher still finds its entry (additions never remove one)."""
        self._entries = kb.by_id()
        self.matcher = matcher
        self.kb = kb
        self._recent = {}

    def entry(self, entry_id: str) -> Entry | None:
        """An entry by id, or None."""
        return self._entries.get(entry_id)

    def answer_text(self, entry: Entry) -> str:
        """The entry's answer with agency values filled in."""
        return render(entry.answer, self.kb.site)

    def reply_for_entry(self, entry_id: str, question: str = "") -> Reply | None:
        """The reply for a chosen entry (e.g. a "did you mean" button); None for an unknown id."""
        entry = self._entries.get(entry_id)
        if entry is None:
            return None
        return Reply(
            question=question or entry.question,
            decision=Decision.ANSWER,
            text=self.answer_text(entry),
            entry=entry,
            score=1.0,
            sources=entry.references,
            reason="chosen",
        )

    def ask(self, question: str) -> Reply:
        """Match a question and build the reply; a question asked before comes from a small cache."""
        reply = self._recent.get(question)
        if reply is None:
            reply = self.reply(self.matcher.match(question))
            if len(self._recent) >= RECENT_REPLIES:
                self._recent.pop(next(iter(self._recent)), None)
            self._recent[question] = reply
        return reply

    def reply(self, result: MatchResult) -> Reply:
        """Build the reply for a match result."""
        notes = (TRUNCATED_NOTE,) if result.truncated else ()
        suggestions = tuple(self._suggestion(c) for c in result.suggestions)
        score = result.best.score if result.best else (result.candidates[0].score if result.candidates else 0.0)
        if result.decision is Decision.ANSWER and result.best:
            entry = self._entries[result.best.entry_id]
            return Reply(
                result.question,
                result.decision,
                self.answer_text(entry),
                entry,
                score,
                entry.references,
                suggestions,
                None,
                result.reason,
                notes,
                result.confidence,
            )
        if result.decision is Decision.SUGGEST:
            return Reply(
                result.question, result.decision, SUGGEST_TEXT, None, score, (), suggestions, None, result.reason, notes
            )
        if result.redirect is not None:
            text = render(result.redirect.message, self.kb.site)
            return Reply(
                result.question, Decision.ABSTAIN, text, None, score, (), (), result.redirect.id, result.reason, notes
            )
        text = {"empty": EMPTY_TEXT, "no_words": NO_WORDS_TEXT}.get(result.reason, ABSTAIN_TEXT)
        return Reply(result.question, Decision.ABSTAIN, text, None, score, (), suggestions, None, result.reason, notes)

    @staticmethod
    def _suggestion(candidate: Candidate) -> Suggestion:
        return Suggestion(candidate.entry_id, candidate.question, candidate.score)
