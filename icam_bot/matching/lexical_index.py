"""The lexical side of the index: normalised phrasings, vocabulary, BM25 over phrasings and over answers.

Building it tokenises every phrasing and answer; the result is cached on disk (an npz of plain arrays, no
pickle) keyed by a hash of the indexed text, so a restart with an unchanged knowledge base skips the work.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from icam_bot.cache_files import find_cached, remove_obsolete, write_private
from icam_bot.knowledge.model import GlossaryTerm
from icam_bot.matching.glossary import GlossaryExpander
from icam_bot.matching.lexical import BM25Index
from icam_bot.text.normalize import content_terms, tokens

logger = logging.getLogger(__name__)

#: Bump when the structures below or the analysis change (3: aliases read as their term; 4: "ID.me" is one word;
#: 5: "smartcard" is "smart card"), so old files are ignored.
CACHE_FORMAT = 5
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


#: One document's analysis (normalised phrasings, its words, its terms, its answer's terms), keyed by its text.
DocAnalysis = tuple[list[str], list[str], list[str], list[str]]
AnalysisMemo = dict[tuple[tuple[str, ...], str, str], DocAnalysis]


def _analyse(doc: IndexedText, expander: GlossaryExpander) -> DocAnalysis:
    words: list[str] = []
    norms = []
    for text in doc.phrasings:
        w = expander.canonicalize(tokens(text))
        norms.append(" ".join(w))
        words.extend(w)
        words.extend(expander.expansions(w))
    tag_words = tokens(doc.tags)
    words.extend(tag_words + expander.expansions(tag_words))
    answer = tokens(doc.answer)
    return norms, words, content_terms(words), content_terms(answer + expander.expansions(answer))


def build_lexical(
    docs: Sequence[IndexedText],
    expander: GlossaryExpander,
    glossary: list[GlossaryTerm],
    memo: AnalysisMemo | None = None,
) -> LexicalIndex:
    """Tokenise, expand glossary terms and index every document. ``memo`` (filled here) holds each document's
    analysis by its text: a rebuild after a few documents changed (live knowledge) analyses only those."""
    documents = []
    answers = []
    normalized: list[list[str]] = []
    vocab: set[str] = set()
    previous = dict(memo or {})
    if memo is not None:
        memo.clear()  # keeps the current documents' analyses only
    for doc in docs:
        key = (doc.phrasings, doc.tags, doc.answer)
        analysis = previous.get(key) or _analyse(doc, expander)
        if memo is not None:
            memo[key] = analysis
        norms, words, terms, answer_terms = analysis
        vocab.update(words)
        normalized.append(norms)
        documents.append(terms)
        answers.append(answer_terms)
    for term in glossary:
        for text in (term.term, term.stands_for, *term.synonyms):
            vocab.update(tokens(text))
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


def _to_npz(index: LexicalIndex) -> bytes:
    """The index as an npz of plain arrays: text as one JSON document (UTF-8 bytes), numbers as arrays."""
    bm25, bm25_arrays = index.bm25.to_arrays("bm25")
    answer, answer_arrays = index.bm25_answer.to_arrays("bm25_answer")
    meta = {
        "format": CACHE_FORMAT,
        "normalized": index.normalized,
        "vocab": sorted(index.vocab),
        "typo_choices": index.typo_choices,
        "bm25": bm25,
        "bm25_answer": answer,
    }
    text = np.frombuffer(json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, meta=text, **bm25_arrays, **answer_arrays)
    return buffer.getvalue()


def _texts(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("not a list of text")
    return value


def _from_npz(path: Path) -> LexicalIndex:
    """Read ``_to_npz``'s file without unpickling anything; raises when it is malformed."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    meta = json.loads(arrays.pop("meta").tobytes())
    if meta["format"] != CACHE_FORMAT:
        raise ValueError("another cache format")
    normalized = meta["normalized"]
    if not isinstance(normalized, list):
        raise TypeError("normalized is not a list")
    return LexicalIndex(
        normalized=[_texts(norms) for norms in normalized],
        vocab=frozenset(_texts(meta["vocab"])),
        typo_choices=_texts(meta["typo_choices"]),
        bm25=BM25Index.from_arrays(meta["bm25"], arrays, "bm25"),
        bm25_answer=BM25Index.from_arrays(meta["bm25_answer"], arrays, "bm25_answer"),
    )


def load_or_build_lexical(
    docs: Sequence[IndexedText],
    expander: GlossaryExpander,
    glossary: list[GlossaryTerm],
    cache_dir: Path | None,
    memo: AnalysisMemo | None = None,
) -> LexicalIndex:
    """The lexical index from the cache when the indexed text is unchanged, else built (and cached).

    The cache is an npz of plain arrays read with ``allow_pickle=False`` (never a pickle: see cache_files.py), read
    from ``cache_dir`` or else the read-only prebuilt cache directory, and written to ``cache_dir`` only.
    """
    path = cache_dir / f"lexical-{_key(docs, glossary)}.npz" if cache_dir else None
    found = find_cached(cache_dir, path.name) if path else None
    if found:
        try:
            index = _from_npz(found)
            if len(index.normalized) == len(docs):
                return index
        except (OSError, ValueError, KeyError, TypeError, AttributeError, zipfile.BadZipFile):
            pass
        logger.warning("ignoring unreadable lexical cache %s", found)
    index = build_lexical(docs, expander, glossary, memo)
    if path:
        try:
            write_private(path, _to_npz(index))
            remove_obsolete(path.parent)
            for old in path.parent.glob("lexical-*.npz"):
                if old.name != path.name:
                    old.unlink(missing_ok=True)
        except OSError:
            logger.warning("could not cache the lexical index in %s", path.parent, exc_info=True)
    return index
