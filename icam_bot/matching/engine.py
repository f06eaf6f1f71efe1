"""The matcher: normalise, expand, score entries on several signals, then answer, suggest or abstain."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from icam_bot.knowledge.glossary_entries import GLOSSARY_CATEGORY, definition_keys, is_definition_question
from icam_bot.knowledge.keys import phrasing_key
from icam_bot.knowledge.model import KnowledgeBase, Redirect
from icam_bot.matching.calibration import Calibration, CalibrationSet
from icam_bot.matching.decision import Choice, DecisionModel, DecisionModels, choose
from icam_bot.matching.embedding import MiniLMEncoder
from icam_bot.matching.evidence import Evidence, QueryTerms, gather_evidence, related_pairs
from icam_bot.matching.glossary import GlossaryExpander
from icam_bot.matching.lexical_index import TYPO_MIN_LENGTH, AnalysisMemo, load_or_build_lexical
from icam_bot.matching.model_files import INSTALL_HINT, ModelNotInstalledError
from icam_bot.matching.results import Candidate, Decision, MatchResult
from icam_bot.matching.vector_index import VectorIndex
from icam_bot.matching.vector_store import VectorCache
from icam_bot.text.normalize import (
    MAX_QUESTION_CHARS,
    STOP_WORDS,
    answer_lead,
    clean_text,
    content_terms,
    normalize,
    plain_answer,
    strip_chatter,
    tokens,
)

logger = logging.getLogger(__name__)

#: Question marks, exclamation marks and full stops that end a text: "What is ID.me" and "What is ID.me??" are one
#: question to the encoder, as they are to the lexical signals.
_CLOSING_MARKS = re.compile(r"[\s?!.]+$")

RERANK_POOL = 12
MAX_CANDIDATES = 5
QUERY_CACHE_SIZE = 4096
TYPO_CUTOFF = 84.0
#: "What does X stand for?" asks for a glossary entry; this much is added to glossary entries' scores.
DEFINITION_BOOST = 0.15
_DEFINITION_INTENT = re.compile(r"\b(stands? for|acronym|abbreviation|short for|spelled out|expand)\b")
#: "What is X?", "X - what does it mean?": a glossary entry may answer, so it is not held back (no boost either:
#: "what is the process for..." asks for an FAQ entry). Other questions hold glossary entries back by the
#: calibration's ``glossary_penalty``: "I forgot my CAC at home" is not asking what a CAC is.
_WHAT_INTENT = re.compile(
    r"\b(what (?:is|are|was)|whats|define|definition|meaning|means?|explain|what does \w+(?: \w+)? do)\b"
)


@dataclass
class _Doc:
    """One indexed document: an entry or a redirect."""

    key: str
    phrasings: tuple[str, ...]
    redirect: Redirect | None = None
    question: str = ""
    category: str = ""
    tags: str = ""
    answer: str = ""


@dataclass
class Signals:
    """Per-document signal arrays for one query (exposed for evaluation and tuning)."""

    emb_max: np.ndarray
    emb_centroid: np.ndarray
    bm25: np.ndarray
    fuzzy: np.ndarray
    emb_answer: np.ndarray
    bm25_answer: np.ndarray
    known_share: float
    words: list[str] = field(default_factory=list)
    fuzzy_ready: bool = False
    definition: bool = False
    #: The question asks what something is (see ``_WHAT_INTENT``).
    asks_what: bool = False
    #: Set when ``emb_max`` was left for the ranking to compute on a pruned pool (large knowledge bases).
    query_vector: np.ndarray | None = None
    #: The question's own content terms (stemmed, no glossary expansions).
    terms: list[str] = field(default_factory=list)
    #: Per-document fuzzy closeness (float64) and coverage computed so far for this question: the re-rank and the
    #: evidence read the same documents, under every calibration tried on these signals.
    doc_fuzzy: dict[int, float] = field(default_factory=dict)
    doc_coverage: dict[int, tuple[float, float]] = field(default_factory=dict)
    query_terms: QueryTerms | None = None


class Matcher:
    """Matches questions against a knowledge base."""

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        encoder: MiniLMEncoder | None = None,
        use_embeddings: bool | None = None,
        cache_dir: Path | None = None,
        calibration: CalibrationSet | None = None,
        decision: DecisionModels | None = None,
        cache_lexical: bool = True,
        vectors: VectorCache | None = None,
        previous: Matcher | None = None,
        persist: bool = True,
    ) -> None:
        self.kb = kb
        #: The phrasing vectors by text: a matcher rebuilt for a changed knowledge base (live additions) passes
        #: the previous one's, so only the new phrasings are encoded.
        self.vector_cache = vectors
        self.cache_dir = cache_dir
        self.calibrations = calibration or CalibrationSet.load()
        self.encoder = encoder
        if self.encoder is None and use_embeddings is not False:
            try:
                self.encoder = MiniLMEncoder(cache_dir=cache_dir)
            except ModelNotInstalledError as exc:  # a file that fails its hash check is never skipped quietly
                if use_embeddings:
                    raise
                logger.warning(
                    "semantic matching is OFF: %s, so questions are matched on their words alone (lexical mode) and "
                    "far fewer are answered outright. Install it with %s, or set ICAM_EMBEDDINGS=off to choose "
                    "lexical mode (`icam-bot serve` refuses to start without the model unless ICAM_EMBEDDINGS=off)",
                    exc,
                    INSTALL_HINT,
                )
        self.calibration: Calibration = self.calibrations.semantic if self.encoder else self.calibrations.lexical
        self.decision_models = decision if decision is not None else DecisionModels.load()
        self.decision_model: DecisionModel | None = self.decision_models.for_mode(self.mode)
        self._expander = GlossaryExpander(kb.glossary)
        self._query_cache: dict[str, np.ndarray] = {}
        self._query_cache_lock = threading.Lock()
        self._docs = [
            _Doc(e.id, e.phrasings, None, e.question, e.category, " ".join(e.tags), plain_answer(e.answer))
            for e in kb.entries
        ]
        self._docs += [
            _Doc(f"redirect:{r.id}", (r.topic, *r.examples), r, answer=plain_answer(r.message)) for r in kb.redirects
        ]
        self._glossary_mask = np.array([d.category == GLOSSARY_CATEGORY for d in self._docs], dtype=bool)
        #: Who answers "what does X stand for": glossary entries, and an FAQ entry that took a term's generated
        #: question (``gov-what-is-icam`` owns "What does ICAM stand for?", so ``glossary-icam`` lacks it).
        owned = definition_keys(kb.glossary, phrasing_key)
        self._definition_mask = self._glossary_mask | np.array(
            [
                d.redirect is None and any(is_definition_question(p, owned, phrasing_key) for p in d.phrasings)
                for d in self._docs
            ],
            dtype=bool,
        )
        #: ``persist=False`` (a live reload): nothing is written to the cache directory (the index and new vectors
        #: stay in memory; a restart builds them again from the merged knowledge).
        self.persist = persist
        if not persist:
            cache_lexical = False
        #: ``previous``: the matcher of the knowledge base this one changes (live knowledge, same glossary): what
        #: did not change is reused (documents' lexical analysis, the glossary's related pairs).
        same_glossary = previous is not None and previous.kb.glossary == kb.glossary
        self._lexical_memo: AnalysisMemo = previous._lexical_memo if previous is not None and same_glossary else {}
        questions = [(d.key, d.question, d.category, d.redirect is None) for d in self._docs]
        if same_glossary and previous is not None and previous._questions == questions:
            self._related = previous._related
        else:
            self._related = related_pairs(kb, self._docs)
        self._questions = questions
        #: Phrasings as cleaned for encoding, by text (reused by the next matcher of a changed knowledge base).
        self._cleaned: dict[str, str] = previous._cleaned if previous is not None else {}
        self._lexical = load_or_build_lexical(
            self._docs, self._expander, kb.glossary, cache_dir if cache_lexical else None, self._lexical_memo
        )
        self.vectors_encoded = 0
        if self.encoder:
            self._build_vectors(cache_dir)

    @property
    def mode(self) -> str:
        """``semantic`` when the embedding model is in use, else ``lexical``."""
        return "semantic" if self.encoder else "lexical"

    @property
    def model_sha256(self) -> str | None:
        """The verified SHA-256 of the embedding model's weights in use (None in lexical mode)."""
        return getattr(self.encoder, "sha256", None) if self.encoder else None

    # -- index -----------------------------------------------------------------------------------
    def _build_vectors(self, cache_dir: Path | None) -> None:
        assert self.encoder is not None
        texts: list[str] = []
        owner: list[int] = []
        previous, self._cleaned = self._cleaned, {}
        for i, doc in enumerate(self._docs):
            for text in doc.phrasings:
                cleaned = previous.get(text)
                self._cleaned[text] = cleaned = self._embedding_text(text) if cleaned is None else cleaned
                texts.append(cleaned)
                owner.append(i)
        answers = [answer_lead(d.answer) for d in self._docs]
        # One pass for both (one progress report, one cache write); each vector depends on its text alone.
        cache = self.vector_cache = self.vector_cache or VectorCache(cache_dir, self.encoder.precision)
        both = cache.vectors(self.encoder, texts + answers, "phrasings and answers", save=self.persist)
        #: How many texts this build encoded (0 when every vector came from a cache).
        self.vectors_encoded = cache.encoded
        self.vector_index = VectorIndex(both[: len(texts)], owner, both[len(texts) :])

    # -- query -----------------------------------------------------------------------------------
    def correct_typos(self, words: list[str]) -> list[str]:
        """Replace words unknown to the knowledge base with the closest known word, when close enough."""
        fixed = []
        for word in words:
            if word in self._lexical.vocab or word in STOP_WORDS or len(word) < TYPO_MIN_LENGTH or not word.isalpha():
                fixed.append(word)
                continue
            best = process.extractOne(word, self._lexical.typo_choices, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
            fixed.append(best[0] if best else word)
        return fixed

    def signals(
        self, text: str, expand_for_embedding: bool | None = None, *, weights: Calibration | None = None
    ) -> Signals:
        """Every signal for every document (before weighting).

        ``expand_for_embedding`` overrides the calibration's choice of embedding the glossary-expanded question.
        With ``weights``, signals those weights ignore are left at zero and, on a large knowledge base, the
        best-phrasing similarity is left for the ranking to compute on the entries that can still rank.
        """
        if expand_for_embedding is None:
            expand_for_embedding = self.calibration.expand_query_for_embedding
        question = strip_chatter(text)
        words = self.correct_typos(self._expander.canonicalize(tokens(question)))
        expansions = self._expander.expansions(words)
        terms = content_terms(words + expansions)
        content = [w for w in words if w not in STOP_WORDS]
        known_share = sum(w in self._lexical.vocab for w in content) / len(content) if content else 0.0
        raw, ceiling = self._lexical.bm25.scores(terms)
        bm25 = raw / ceiling if ceiling else raw
        zeros = np.zeros(len(self._docs), dtype=np.float32)
        bm25_answer = zeros
        if weights is None or weights.bm25_answer or self.decision_model is not None:
            raw, ceiling = self._lexical.bm25_answer.scores(terms)
            bm25_answer = raw / ceiling if ceiling else raw
        emb_max, emb_centroid, emb_answer, deferred = zeros, zeros, zeros, None
        if self.encoder is not None:
            q = self._query_vector(
                " ".join(words + expansions) if expand_for_embedding else self._embedding_text(question)
            )
            index = self.vector_index
            if weights is None or weights.emb_max or self.decision_model is not None:
                if weights is not None and index.pruned:
                    deferred = q
                else:
                    emb_max = index.best_phrasing_all(q)
            need_centroid = weights is None or weights.emb_centroid or self.decision_model is not None
            need_answer = weights is None or weights.emb_answer or self.decision_model is not None
            if need_centroid or need_answer:
                centroid_cosines, answer_cosines = index.doc_cosines(q)
                emb_centroid = centroid_cosines if need_centroid else zeros
                emb_answer = answer_cosines if need_answer else zeros
        joined = " ".join(words)
        definition = bool(_DEFINITION_INTENT.search(joined))
        return Signals(
            emb_max,
            emb_centroid,
            bm25,
            zeros.copy(),
            emb_answer,
            bm25_answer,
            known_share,
            words,
            definition=definition,
            asks_what=bool(_WHAT_INTENT.search(joined)),
            query_vector=deferred,
            terms=content_terms(words),
        )

    def _embedding_text(self, text: str) -> str:
        """What the encoder reads, for a knowledge-base phrasing and for a question alike (a question with its
        greetings and thanks already dropped): the text cleaned, agency card names read as "PIV card", so both
        sides spell "ID.me", "PIV-I", "e-QIP" the same way (not "idme" on one side only). A calibration may
        instead have questions encoded as their normalised words and glossary expansions
        (``expand_query_for_embedding``).

        Typo corrections and the normalised spellings reach the lexical signals only; on the validation splits
        the encoder did better on the cleaned text (docs/knowledge-authoring.md, "The encoder reads the question as
        it reads the phrasings").
        """
        return _CLOSING_MARKS.sub("", self._expander.canonical_phrasing(clean_text(text)))

    def _query_vector(self, text: str) -> np.ndarray:
        """The question's embedding; repeated questions (staff ask the same things) come from a small cache."""
        vector = self._query_cache.get(text)
        if vector is None:
            assert self.encoder is not None
            vector = self.encoder.encode_one(text)
            with self._query_cache_lock:
                if len(self._query_cache) >= QUERY_CACHE_SIZE:
                    self._query_cache.pop(next(iter(self._query_cache)))
                self._query_cache[text] = vector
        return vector

    def doc_fuzzy(self, sig: Signals, docs: list[int]) -> list[float]:
        """The best rapidfuzz ratio (0..1) between the question and each document's phrasings, each computed once
        per question (one rapidfuzz call for all the documents not seen yet)."""
        todo = [d for d in dict.fromkeys(docs) if d not in sig.doc_fuzzy]
        if todo:
            normalized = self._lexical.normalized
            choices = [text for d in todo for text in normalized[d]]
            ratios = process.cdist([" ".join(sig.words)], choices, scorer=fuzz.ratio, dtype=np.float64)[0].tolist()
            start = 0
            for d in todo:
                end = start + len(normalized[d])
                sig.doc_fuzzy[d] = max(ratios[start:end]) / 100.0 if end > start else 0.0
                start = end
        return [sig.doc_fuzzy[d] for d in docs]

    def doc_coverage(self, sig: Signals, doc: int) -> tuple[float, float]:
        """:meth:`QueryTerms.coverage` of the question's terms by one document, once per question."""
        found = sig.doc_coverage.get(doc)
        if found is None:
            terms = sig.query_terms
            if terms is None:
                terms = sig.query_terms = QueryTerms.of(self._lexical, sig.terms)
            found = sig.doc_coverage[doc] = terms.coverage(doc)
        return found

    def with_all_fuzzy(self, sig: Signals) -> Signals:
        """Fill the fuzzy signal for every document (for tuning many calibrations on one query)."""
        sig.fuzzy[:] = self.doc_fuzzy(sig, list(range(len(self._docs))))
        sig.fuzzy_ready = True
        return sig

    def _combine(self, sig: Signals, cal: Calibration) -> list[tuple[int, float]]:
        """The re-rank pool, best first."""
        base = (
            cal.emb_max * sig.emb_max
            + cal.emb_centroid * sig.emb_centroid
            + cal.bm25 * sig.bm25
            + cal.emb_answer * sig.emb_answer
            + cal.bm25_answer * sig.bm25_answer
            + self._definition_shift(sig, cal)
        )
        if sig.query_vector is not None and cal.emb_max:
            base = self.vector_index.add_best_phrasing(base, sig.query_vector, cal.emb_max, RERANK_POOL)
        pool = np.argpartition(-base, RERANK_POOL)[:RERANK_POOL] if len(base) > RERANK_POOL else np.arange(len(base))
        docs = pool.tolist()
        fuzzy = [sig.fuzzy[d] for d in docs] if sig.fuzzy_ready else self.doc_fuzzy(sig, docs)
        scored = [(d, float(base[d]) + self._rerank_bonus(sig, cal, d, f)) for d, f in zip(docs, fuzzy, strict=True)]
        scored.sort(key=lambda pair: -pair[1])
        return scored

    def _definition_shift(self, sig: Signals, cal: Calibration) -> np.ndarray | float:
        """What each document gains or loses as a definition: a boost for "what does X stand for" (glossary
        entries and the FAQ entries that own a term's definition), nothing for "what is X", and the calibration's
        penalty on glossary entries for any other question."""
        if sig.definition:
            return DEFINITION_BOOST * self._definition_mask
        return 0.0 if sig.asks_what else -cal.glossary_penalty * self._glossary_mask

    def _rerank_bonus(self, sig: Signals, cal: Calibration, doc: int, fuzzy: float) -> float:
        """What the re-rank pool adds to a document's score: fuzzy closeness and coverage of the question."""
        covered = self.doc_coverage(sig, doc)[0] if cal.coverage else 0.0
        return cal.fuzzy * fuzzy + cal.coverage * covered

    def match(self, question: str, calibration: Calibration | None = None) -> MatchResult:
        """Decide how to respond to a question."""
        cal = calibration or self.calibration
        truncated = len(question) > MAX_QUESTION_CHARS
        cleaned = clean_text(question)
        if not normalize(cleaned):
            reason = "empty" if not cleaned else "no_words"
            return MatchResult(cleaned, Decision.ABSTAIN, reason=reason, truncated=truncated)
        return self.decide(cleaned, self.signals(cleaned, cal.expand_query_for_embedding, weights=cal), cal, truncated)

    def decide(
        self,
        question: str,
        sig: Signals,
        cal: Calibration,
        truncated: bool = False,
        model: DecisionModel | bool | None = True,
    ) -> MatchResult:
        """Rank and decide from precomputed signals.

        ``model``: ``True`` uses the matcher's answerability model (when it has one), ``False`` or ``None`` the
        calibration's plain thresholds, or a given model (for tuning).
        """
        if not any(w not in STOP_WORDS for w in sig.words):
            return MatchResult(question, Decision.ABSTAIN, reason="no_words", truncated=truncated)
        ranked = self._combine(sig, cal)
        chosen = self.decision_model if model is True else (model or None)
        if chosen is None:
            return self._decide_by_thresholds(question, ranked, sig, cal, truncated)
        evidence = self.evidence(ranked, sig)
        return self._decide_by_model(question, evidence, chosen, truncated)

    def evidence(self, ranked: list[tuple[int, float]], sig: Signals) -> Evidence:
        """What the answerability model reads about one ranking."""
        return gather_evidence(self, ranked, sig)

    def _candidates(self, ranked: list[tuple[int, float]]) -> tuple[Candidate, ...]:
        return tuple(
            Candidate(d.key, d.question, d.category, round(score, 4))
            for d, score in ((self._docs[i], s) for i, s in ranked)
            if d.redirect is None
        )[:MAX_CANDIDATES]

    def _decide_by_model(self, question: str, ev: Evidence, model: DecisionModel, truncated: bool) -> MatchResult:
        candidates = self._candidates(ev.ranked)
        p = model.probability(ev.features) if candidates else 0.0
        result = MatchResult(question, Decision.ABSTAIN, candidates=candidates, truncated=truncated, confidence=p)
        choice = choose(
            model,
            p,
            has_entry=bool(candidates),
            known_share=ev.known_share,
            entry_score=ev.entry_score,
            redirect_score=ev.redirect_score if ev.redirect_index is not None else None,
            verbatim=ev.verbatim,
        )
        if choice is Choice.ANSWER:
            return replace(result, decision=Decision.ANSWER, best=candidates[0], reason="confident")
        if choice is Choice.REDIRECT:
            assert ev.redirect_index is not None
            return replace(result, redirect=self._docs[ev.redirect_index].redirect, reason="out_of_scope")
        if choice is Choice.SUGGEST:
            return replace(result, decision=Decision.SUGGEST, best=candidates[0], reason="close_matches")
        related = tuple(c for c in candidates if c.score >= model.related_at) if ev.known_share > 0.0 else ()
        return replace(result, reason="no_match", related=related)

    def explain(self, question: str, calibration: Calibration | None = None) -> Evidence | None:
        """The ranking and the evidence the answerability model reads (None for a question with no words)."""
        cal = calibration or self.calibration
        cleaned = clean_text(question)
        sig = self.signals(cleaned, cal.expand_query_for_embedding)
        if not any(w not in STOP_WORDS for w in sig.words):
            return None
        return self.evidence(self._combine(sig, cal), sig)

    def doc_key(self, index: int) -> str:
        """The entry id (or ``redirect:<id>``) of an indexed document."""
        return self._docs[index].key

    def _decide_by_thresholds(
        self,
        question: str,
        ranked: list[tuple[int, float]],
        sig: Signals,
        cal: Calibration,
        truncated: bool,
    ) -> MatchResult:
        """The fixed-threshold decision (used before a model is trained, and for comparison)."""
        candidates = self._candidates(ranked)
        top_index, top_score = ranked[0]
        top_doc = self._docs[top_index]
        result = MatchResult(question, Decision.ABSTAIN, candidates=candidates, truncated=truncated)
        if top_doc.redirect is not None:
            if top_score >= cal.suggest_at:
                return replace(result, redirect=top_doc.redirect, reason="out_of_scope")
            return replace(result, reason="no_match")
        if sig.known_share == 0.0 or top_score < cal.suggest_at:
            return replace(result, reason="no_match")
        second = next((s for i, s in ranked[1:] if self._docs[i].key != top_doc.key), 0.0)
        best = candidates[0]
        if top_score >= cal.answer_at and top_score - second >= cal.answer_margin:
            return replace(result, decision=Decision.ANSWER, best=best, reason="confident")
        return replace(result, decision=Decision.SUGGEST, best=best, reason="close_matches")
