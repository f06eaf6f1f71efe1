"""A comparison key for phrasings: stemmed content words, order ignored."""

from __future__ import annotations

from icam_bot.text.normalize import content_terms, tokens


def phrasing_key(text: str) -> str:
    """Sorted distinct stemmed content words; two phrasings with one key mean the same to the matcher."""
    return " ".join(sorted(set(content_terms(tokens(text)))))
