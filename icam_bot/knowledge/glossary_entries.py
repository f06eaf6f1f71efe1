"""Turn glossary terms into answerable entries ("what does PACS stand for?")."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from icam_bot.knowledge.model import Entry, GlossaryTerm

GLOSSARY_CATEGORY = "glossary"
#: The generated question for an acronym, and a word every phrasing with the same key holds (keys are stemmed
#: content words, so a phrasing without it cannot be that question).
DEFINITION_QUESTION = "What does {} stand for?"
DEFINITION_WORD = "stand"


def glossary_slug(term: str) -> str:
    """The entry id of a term: ``glossary-`` plus a slug of the term."""
    slug = re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")
    return f"glossary-{slug or 'term'}"


def _everyday_name(term: GlossaryTerm) -> str | None:
    """The first synonym that is the term plus a noun ("piv card" for PIV), if any."""
    prefix = term.term.casefold() + " "
    return next((s for s in term.synonyms if s.casefold().startswith(prefix)), None)


def _phrasings(term: GlossaryTerm) -> tuple[str, tuple[str, ...]]:
    name = term.term
    if term.stands_for:
        question = DEFINITION_QUESTION.format(name)
        everyday = _everyday_name(term)
        alternates = (
            f"what is {name}",
            f"{name} meaning",
            f"define {name}",
            f"what's a {name}",
            f"{name} acronym",
            f"what is {term.stands_for}",
            *((f"what is a {everyday}",) if everyday else ()),
        )
    else:
        question = f"What is a {name}?"
        alternates = (f"define {name}", f"{name} meaning", f"what does {name} mean", f"what's {name}")
    return question, alternates


def definition_keys(terms: list[GlossaryTerm], key: Callable[[str], str]) -> set[str]:
    """The keys of each acronym's generated "What does X stand for?"."""
    return {key(DEFINITION_QUESTION.format(term.term)) for term in terms if term.stands_for}


def is_definition_question(phrasing: str, keys: set[str], key: Callable[[str], str]) -> bool:
    """Whether ``phrasing`` is one of the generated "What does X stand for?" (an FAQ entry that has one as a
    phrasing owns that term's definition, and the glossary entry goes without it); cheap for all other phrasings."""
    return DEFINITION_WORD in phrasing.casefold() and key(phrasing) in keys


def glossary_entries(
    terms: list[GlossaryTerm], reviewed: dt.date, taken: set[str] | None = None, key: Callable[[str], str] = str
) -> list[Entry]:
    """One answerable entry per glossary term.

    A generated phrasing whose ``key`` is in ``taken`` (the keys of FAQ phrasings) is left out, so an FAQ
    entry that already answers "what is PACS?" keeps that question; a term left with no phrasing at all
    gets no entry of its own (the FAQ covers it).
    """
    taken = taken or set()
    entries = []
    for term in terms:
        phrasings = [p for p in (_phrasings(term)[0], *_phrasings(term)[1]) if key(p) not in taken]
        if not phrasings:
            continue
        question, alternates = phrasings[0], tuple(phrasings[1:])
        heading = f"*{term.term}* stands for *{term.stands_for}*." if term.stands_for else f"*{term.term}*:"
        entries.append(
            Entry(
                id=glossary_slug(term.term),
                question=question,
                alternates=alternates,
                answer=f"{heading} {term.definition}",
                category=GLOSSARY_CATEGORY,
                tags=tuple(s.lower() for s in term.synonyms[:5]),
                references=(term.reference,),
                owner="other",
                last_reviewed=reviewed,
                source_file="glossary.yaml",
            )
        )
    return entries
