"""The labelled evaluation sets: in-scope questions with their entry id, and out-of-scope questions.

Two sets live under ``evaluation/``:

- ``dev``: ``items/*.yaml`` (in scope) and ``out-of-scope.yaml``, written by the project;
- ``real-world``: ``real-world/*.yaml``, questions taken from public agency FAQ pages, forums and help desk
  pages in their authors' words, each with its source URL. In-scope items name the entry that should answer
  them, or ``gap`` when the knowledge base has none yet (they count against success, never hidden);
  off-topic items name the redirect they should get, or ``none``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from icam_bot.knowledge.glossary_entries import GLOSSARY_CATEGORY
from icam_bot.knowledge.model import KnowledgeBase
from icam_bot.text.normalize import normalize

SPLITS = ("validation", "test")
#: The label of an in-scope question the knowledge base cannot answer yet.
GAP = "gap"
#: The label of an off-topic question no redirect fits.
NO_REDIRECT = "none"
DEV_SET = "dev"
REAL_WORLD_SET = "real-world"
REAL_WORLD_DIR = "real-world"


class DatasetError(Exception):
    """The evaluation files are malformed or do not fit the knowledge base."""


@dataclass(frozen=True)
class Item:
    """One labelled question; ``expected`` is None for out-of-scope questions, ``gap`` for unanswerable ones."""

    question: str
    expected: str | None
    split: str
    source: str
    set: str = DEV_SET
    style: str = ""
    #: For out-of-scope questions: the redirect that fits, ``none``, or None when not labelled.
    redirect: str | None = None
    url: str = ""
    #: Other entries that answer the question as well (``also:`` in the file, judged by meaning).
    also: tuple[str, ...] = ()

    @property
    def in_scope(self) -> bool:
        return self.expected is not None

    @property
    def gap(self) -> bool:
        return self.expected == GAP

    @property
    def accepted(self) -> frozenset[str]:
        """Every entry that counts as the right answer."""
        return frozenset((self.expected, *self.also)) if self.expected not in (None, GAP) else frozenset()


def default_dataset_dir() -> Path:
    """``evaluation/`` in the source checkout (or the current directory)."""
    here = Path(__file__).resolve().parents[2] / "evaluation"
    return here if here.is_dir() else Path.cwd() / "evaluation"


def _read_list(path: Path) -> list[dict[str, object]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise DatasetError(f"{path.name}: must be a YAML list of items")
    return data


def _text(raw: dict[str, object], key: str) -> str:
    value = raw.get(key)
    return value if isinstance(value, str) else ""


def _in_scope(path: Path, set_name: str) -> list[Item]:
    items = []
    for n, raw in enumerate(_read_list(path), 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("q"), str) or not isinstance(raw.get("id"), str):
            raise DatasetError(f"{path.name}: item {n} needs q and id")
        if raw.get("split") not in SPLITS:
            raise DatasetError(f"{path.name}: item {n} split must be validation or test")
        if set_name == REAL_WORLD_SET and not _text(raw, "source").startswith(("https://", "http://")):
            raise DatasetError(f"{path.name}: item {n} needs its source page (an http(s):// URL)")
        also = raw.get("also", [])
        if not isinstance(also, list) or not all(isinstance(a, str) for a in also) or (raw["id"] == GAP and also):
            raise DatasetError(f"{path.name}: item {n} also must be a list of entry ids (and not on a gap)")
        items.append(
            Item(
                raw["q"],
                raw["id"],
                str(raw["split"]),
                path.name,
                set_name,
                _text(raw, "style"),
                url=_text(raw, "source"),
                also=tuple(also),
            )
        )
    return items


def _out_of_scope(path: Path, set_name: str) -> list[Item]:
    items = []
    for n, raw in enumerate(_read_list(path), 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("q"), str) or raw.get("split") not in SPLITS:
            raise DatasetError(f"{path.name}: item {n} needs q and split (validation or test)")
        if set_name == REAL_WORLD_SET and not _text(raw, "source").startswith(("https://", "http://")):
            raise DatasetError(f"{path.name}: item {n} needs its source page (an http(s):// URL)")
        redirect = raw.get("redirect")
        if redirect is not None and not isinstance(redirect, str):
            raise DatasetError(f"{path.name}: item {n} redirect must be a redirect id or 'none'")
        items.append(
            Item(raw["q"], None, str(raw["split"]), path.name, set_name, "off-topic", redirect, _text(raw, "source"))
        )
    return items


def load_dataset(directory: Path | None = None) -> list[Item]:
    """Read the dev set (``items/*.yaml``, ``out-of-scope.yaml``) and the real-world set (``real-world/``)."""
    directory = directory or default_dataset_dir()
    if not directory.is_dir():
        raise DatasetError(f"evaluation set not found at {directory} (pass --set DIR)")
    items: list[Item] = []
    for path in sorted((directory / "items").glob("*.yaml")):
        items += _in_scope(path, DEV_SET)
    oos = directory / "out-of-scope.yaml"
    if oos.is_file():
        items += _out_of_scope(oos, DEV_SET)
    for path in sorted((directory / REAL_WORLD_DIR).glob("*.yaml")):
        data = _read_list(path)
        off_topic = bool(data) and isinstance(data[0], dict) and "id" not in data[0]
        items += _out_of_scope(path, REAL_WORLD_SET) if off_topic else _in_scope(path, REAL_WORLD_SET)
    if not items:
        raise DatasetError(f"no evaluation items in {directory}")
    return items


#: An evaluation question this similar (rapidfuzz ratio of the normalised texts) to a KB phrasing counts as copied.
NEAR_COPY = 90.0


def check_against_kb(items: list[Item], kb: KnowledgeBase) -> list[str]:
    """Problems that would make the figures untrustworthy: unknown ids, or questions copied (or nearly) into the KB."""
    ids = {e.id for e in kb.entries}
    redirects = {r.id for r in kb.redirects}
    # Glossary entries' phrasings are generated from the term by rule ("what is PKI"), not written by hand.
    phrasings = {normalize(p) for e in kb.entries if e.category != GLOSSARY_CATEGORY for p in e.phrasings}
    phrasings |= {normalize(x) for r in kb.redirects for x in r.examples}
    choices = sorted(phrasings)
    problems = []
    for item in items:
        for entry_id in item.accepted - ids:
            problems.append(f"{item.source}: {item.question!r} is labelled with unknown entry {entry_id!r}")
        if item.redirect not in (None, NO_REDIRECT) and item.redirect not in redirects:
            problems.append(f"{item.source}: {item.question!r} is labelled with unknown redirect {item.redirect!r}")
        text = normalize(item.question)
        if text in phrasings:
            problems.append(f"{item.source}: {item.question!r} appears in the knowledge base")
            continue
        near = process.extractOne(text, choices, scorer=fuzz.ratio, score_cutoff=NEAR_COPY)
        if near is not None:
            problems.append(f"{item.source}: {item.question!r} is nearly a knowledge-base phrasing ({near[0]!r})")
    return problems
