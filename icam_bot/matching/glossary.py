"""Glossary expansion: map acronyms and synonyms in text to their canonical terms."""

from __future__ import annotations

from icam_bot.knowledge.model import GlossaryTerm
from icam_bot.matching.normalize import STOP_WORDS, tokens

MAX_PHRASE_WORDS = 5


class GlossaryExpander:
    """Appends the canonical term and expansion for every glossary phrase found in a text."""

    def __init__(self, terms: list[GlossaryTerm]) -> None:
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for term in terms:
            canonical = tuple(tokens(term.term)) + tuple(tokens(term.stands_for))
            for phrase in (term.term, term.stands_for, *term.synonyms):
                key = tuple(tokens(phrase))
                if not key or (len(key) == 1 and key[0] in STOP_WORDS):
                    continue
                self._phrases.setdefault(key, canonical)

    def __len__(self) -> int:
        return len(self._phrases)

    def expansions(self, words: list[str]) -> list[str]:
        """Canonical words for the glossary phrases in ``words`` (longest match first), without repeats."""
        added: list[str] = []
        present = set(words)
        i = 0
        while i < len(words):
            for size in range(min(MAX_PHRASE_WORDS, len(words) - i), 0, -1):
                canonical = self._phrases.get(tuple(words[i : i + size]))
                if canonical is not None:
                    for word in canonical:
                        if word not in present:
                            present.add(word)
                            added.append(word)
                    i += size
                    break
            else:
                i += 1
        return added
