"""Glossary expansion: map acronyms and synonyms in text to their canonical terms."""

from __future__ import annotations

from icam_bot.knowledge.model import GlossaryTerm
from icam_bot.text.normalize import STOP_WORDS, tokens


class GlossaryExpander:
    """Appends the canonical term and expansion for every glossary phrase found in a text."""

    def __init__(self, terms: list[GlossaryTerm]) -> None:
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._sizes: dict[str, list[int]] = {}  # first word -> phrase lengths starting with it, longest first
        for term in terms:
            canonical = tuple(tokens(term.term)) + tuple(tokens(term.stands_for))
            for phrase in (term.term, term.stands_for, *term.synonyms):
                key = tuple(tokens(phrase))
                if not key or (len(key) == 1 and key[0] in STOP_WORDS):
                    continue
                self._phrases.setdefault(key, canonical)
        for key in self._phrases:
            self._sizes.setdefault(key[0], []).append(len(key))
        for sizes in self._sizes.values():
            sizes.sort(reverse=True)
        self._aliases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for term in terms:
            for alias in term.aliases:
                key = tuple(tokens(alias))
                if key:
                    self._aliases[key] = tuple(tokens(term.synonyms[0] if term.synonyms else term.term))
        self._alias_sizes = sorted({len(k) for k in self._aliases}, reverse=True)

    def __len__(self) -> int:
        return len(self._phrases)

    def canonicalize(self, words: list[str]) -> list[str]:
        """``words`` with every alias phrase replaced by its term ("lincpass" -> "piv"), longest first."""
        if not self._aliases:
            return words
        out: list[str] = []
        i = 0
        while i < len(words):
            for size in self._alias_sizes:
                term = self._aliases.get(tuple(words[i : i + size]))
                if term is not None:
                    out.extend(term)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    def canonical_phrasing(self, text: str) -> str:
        """A knowledge-base phrasing read as a question is ("my LincPass" -> "my piv card"): unchanged unless it
        names an alias, so the index and the question meet on the same words."""
        words = tokens(text)
        canonical = self.canonicalize(words)
        return text if canonical == words else " ".join(canonical)

    def expansions(self, words: list[str]) -> list[str]:
        """Canonical words for the glossary phrases in ``words`` (longest match first), without repeats."""
        added: list[str] = []
        present = set(words)
        i = 0
        while i < len(words):
            for size in self._sizes.get(words[i], ()):
                if i + size > len(words):
                    continue
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
