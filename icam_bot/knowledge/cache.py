"""The validated knowledge base cached as JSON (keyed by the files' contents), so a restart skips parsing YAML.

Read from ICAM_CACHE_DIR or else the read-only prebuilt cache directory (see cache_files.py); written to
ICAM_CACHE_DIR only.

Plain data only: reading a cache file builds the records field by field and checks each field's type, so a
crafted file can at worst be ignored (then the knowledge files are parsed again), never run.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from icam_bot.cache_files import find_cached, remove_obsolete, write_private
from icam_bot.knowledge.model import Category, Entry, GlossaryTerm, KnowledgeBase, Redirect, Reference

logger = logging.getLogger(__name__)

#: Bump when the records change shape, so old cache files are ignored.
CACHE_FORMAT = 2


def cache_path(cache_dir: Path, fingerprint: str) -> Path:
    return cache_dir / f"knowledge-{CACHE_FORMAT}-{fingerprint}.json"


def read_cache(cache_dir: Path | None, fingerprint: str) -> KnowledgeBase | None:
    """The cached knowledge base for ``fingerprint``, or None (no file, unreadable or malformed)."""
    if cache_dir is None:
        return None
    path = find_cached(cache_dir, cache_path(cache_dir, fingerprint).name)
    if path is None:
        return None
    try:
        kb = from_json(json.loads(path.read_bytes()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        logger.warning("ignoring unreadable knowledge cache %s", path)
        return None
    return kb if kb.fingerprint == fingerprint else None


def write_cache(cache_dir: Path | None, kb: KnowledgeBase) -> None:
    if cache_dir is None:
        return
    try:
        data = json.dumps(to_json(kb), ensure_ascii=False, separators=(",", ":")).encode()
        write_private(cache_path(cache_dir, kb.fingerprint), data)
        remove_obsolete(cache_dir)
        for old in cache_dir.glob(f"knowledge-{CACHE_FORMAT}-*.json"):
            if old.name != cache_path(cache_dir, kb.fingerprint).name:
                old.unlink(missing_ok=True)
    except OSError:
        logger.warning("could not cache the knowledge base in %s", cache_dir, exc_info=True)


def _reference(ref: Reference) -> dict[str, str]:
    return {"title": ref.title, "url": ref.url}


def to_json(kb: KnowledgeBase) -> dict[str, Any]:
    return {
        "format": CACHE_FORMAT,
        "entries": [e.as_dict() for e in kb.entries],
        "glossary": [
            {
                "term": g.term,
                "definition": g.definition,
                "reference": _reference(g.reference),
                "stands_for": g.stands_for,
                "synonyms": list(g.synonyms),
                "aliases": list(g.aliases),
            }
            for g in kb.glossary
        ],
        "redirects": [
            {"id": r.id, "topic": r.topic, "examples": list(r.examples), "message": r.message} for r in kb.redirects
        ],
        "categories": [{"slug": c.slug, "title": c.title} for c in kb.categories],
        "site": kb.site,
        "site_is_example": kb.site_is_example,
        "fingerprint": kb.fingerprint,
    }


def _str(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} is not text")
    return value


def _strs(data: dict[str, Any], key: str) -> tuple[str, ...]:
    values = data[key]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise TypeError(f"{key} is not a list of text")
    return tuple(values)


def _int(data: dict[str, Any], key: str) -> int:
    value = data[key]
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{key} is not a whole number")
    return value


def _ref(data: dict[str, Any]) -> Reference:
    return Reference(title=_str(data, "title"), url=_str(data, "url"))


def _entry(data: dict[str, Any]) -> Entry:
    return Entry(
        id=_str(data, "id"),
        question=_str(data, "question"),
        alternates=_strs(data, "alternates"),
        answer=_str(data, "answer"),
        category=_str(data, "category"),
        tags=_strs(data, "tags"),
        references=tuple(_ref(r) for r in data["references"]),
        owner=_str(data, "owner"),
        last_reviewed=dt.date.fromisoformat(_str(data, "last_reviewed")),
        review_days=_int(data, "review_days"),
        source_file=_str(data, "source_file"),
    )


def from_json(data: dict[str, Any]) -> KnowledgeBase:
    """The knowledge base from ``to_json``'s output; raises (KeyError, TypeError, ValueError) when malformed."""
    if data["format"] != CACHE_FORMAT:
        raise ValueError("another cache format")
    site = data["site"]
    if not isinstance(site, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in site.items()):
        raise TypeError("site is not a mapping of text")
    if not isinstance(data["site_is_example"], bool):
        raise TypeError("site_is_example is not true or false")
    return KnowledgeBase(
        entries=[_entry(e) for e in data["entries"]],
        glossary=[
            GlossaryTerm(
                term=_str(g, "term"),
                definition=_str(g, "definition"),
                reference=_ref(g["reference"]),
                stands_for=_str(g, "stands_for"),
                synonyms=_strs(g, "synonyms"),
                aliases=_strs(g, "aliases"),
            )
            for g in data["glossary"]
        ],
        redirects=[
            Redirect(
                id=_str(r, "id"), topic=_str(r, "topic"), examples=_strs(r, "examples"), message=_str(r, "message")
            )
            for r in data["redirects"]
        ],
        categories=[Category(slug=_str(c, "slug"), title=_str(c, "title")) for c in data["categories"]],
        site=dict(site),
        site_is_example=data["site_is_example"],
        fingerprint=_str(data, "fingerprint"),
    )
