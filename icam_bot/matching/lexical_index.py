"""The lexical side of the index: normalised phrasings, vocabulary, BM25 over phrasings and over answers.

Building it tokenises every phrasing and answer; the result is cached on disk keyed by a hash of the indexed
text, so a restart with an unchanged knowledge base skips the work.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from icam_bot.knowledge.model import GlossaryTerm
from icam_bot.matching.glossary import GlossaryExpander
from icam_bot.matching.lexical import BM25Index
from icam_bot.matching.normalize import content_terms, tokens

logger = logging.getLogger(__name__)

#: Bump when the structures below change, so old cache files are ignored.
CACHE_FORMAT = 1
#: Only words at least this long are typo-correction targets.
TYPO_MIN_LENGTH = 4


class IndexedText(Protocol):
    """What the lexical index reads of one document (an entry or a redirect)."""

    key: str
    phrasings: tuple[str, ...]
    tags: str
    answer: str


@dataclass(frozen=True)
class LexicalIndex:
    """Per-document normalised phrasings, the vocabulary and both BM25 indexes."""

    normalized: list[list[str]]
    vocab: frozenset[str]
    typo_choices: list[str]
    bm25: BM25Index
    bm25_answer: BM25Index


def build_lexical(
    docs: Sequence[IndexedText], expander: GlossaryExpander, glossary: list[GlossaryTerm]
) -> LexicalIndex:
    """Tokenise, expand glossary terms and index every document."""
    documents = []
    normalized: list[list[str]] = []
    vocab: set[str] = set()
    for doc in docs:
        words: list[str] = []
        norms = []
        for text in doc.phrasings:
            w = tokens(text)
            norms.append(" ".join(w))
            words.extend(w)
            words.extend(expander.expansions(w))
        tag_words = tokens(doc.tags)
        words.extend(tag_words + expander.expansions(tag_words))
        vocab.update(words)
        normalized.append(norms)
        documents.append(content_terms(words))
    for term in glossary:
        for text in (term.term, term.stands_for, *term.synonyms):
            vocab.update(tokens(text))
    answers = []
    for doc in docs:
        w = tokens(doc.answer)
        answers.append(content_terms(w + expander.expansions(w)))
    return LexicalIndex(
        normalized=normalized,
        vocab=frozenset(vocab),
        typo_choices=sorted(w for w in vocab if len(w) >= TYPO_MIN_LENGTH and w.isalpha()),
        bm25=BM25Index(documents),
        bm25_answer=BM25Index(answers),
    )


def _key(docs: Sequence[IndexedText], glossary: list[GlossaryTerm]) -> str:
    digest = hashlib.blake2b(f"lexical-{CACHE_FORMAT}".encode(), digest_size=16)
    for doc in docs:
        for text in (doc.key, *doc.phrasings, doc.tags, doc.answer):
            digest.update(text.encode())
            digest.update(b"\0")
    for term in glossary:
        digest.update(repr((term.term, term.stands_for, term.synonyms)).encode())
    return digest.hexdigest()


def load_or_build_lexical(
    docs: Sequence[IndexedText], expander: GlossaryExpander, glossary: list[GlossaryTerm], cache_dir: Path | None
) -> LexicalIndex:
    """The lexical index from the cache when the indexed text is unchanged, else built (and cached)."""
    path = cache_dir / f"lexical-{_key(docs, glossary)}.pickle" if cache_dir else None
    if path and path.is_file():
        try:
            with path.open("rb") as fh:
                index = pickle.load(fh)  # noqa: S301 - our own cache directory, keyed by content hash
            if isinstance(index, LexicalIndex):
                return index
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            logger.warning("ignoring unreadable lexical cache %s", path)
    index = build_lexical(docs, expander, glossary)
    if path:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            for old in path.parent.glob("lexical-*.pickle"):
                old.unlink(missing_ok=True)
            tmp = path.with_suffix(".tmp")
            with tmp.open("wb") as fh:
                pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(path)
        except OSError:
            logger.warning("could not cache the lexical index in %s", path.parent, exc_info=True)
    return index
