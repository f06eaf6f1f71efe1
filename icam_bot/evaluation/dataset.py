"""The labelled evaluation set: in-scope paraphrases with their entry id, and out-of-scope questions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from icam_bot.knowledge.model import KnowledgeBase
from icam_bot.matching.normalize import normalize

SPLITS = ("validation", "test")


class DatasetError(Exception):
    """The evaluation files are malformed or do not fit the knowledge base."""


@dataclass(frozen=True)
class Item:
    """One labelled question; ``expected`` is None for out-of-scope questions."""

    question: str
    expected: str | None
    split: str
    source: str


def default_dataset_dir() -> Path:
    """``evaluation/`` in the source checkout (or the current directory)."""
    here = Path(__file__).resolve().parents[2] / "evaluation"
    return here if here.is_dir() else Path.cwd() / "evaluation"


def _read_list(path: Path) -> list[dict[str, object]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise DatasetError(f"{path.name}: must be a YAML list of items")
    return data


def load_dataset(directory: Path | None = None) -> list[Item]:
    """Read ``items/*.yaml`` (in scope) and ``out-of-scope.yaml``."""
    directory = directory or default_dataset_dir()
    if not directory.is_dir():
        raise DatasetError(f"evaluation set not found at {directory} (pass --set DIR)")
    items: list[Item] = []
    for path in sorted((directory / "items").glob("*.yaml")):
        for n, raw in enumerate(_read_list(path), 1):
            if not isinstance(raw, dict) or not isinstance(raw.get("q"), str) or not isinstance(raw.get("id"), str):
                raise DatasetError(f"{path.name}: item {n} needs q and id")
            if raw.get("split") not in SPLITS:
                raise DatasetError(f"{path.name}: item {n} split must be validation or test")
            items.append(Item(raw["q"], raw["id"], str(raw["split"]), path.name))
    oos = directory / "out-of-scope.yaml"
    if oos.is_file():
        for n, raw in enumerate(_read_list(oos), 1):
            if not isinstance(raw, dict) or not isinstance(raw.get("q"), str) or raw.get("split") not in SPLITS:
                raise DatasetError(f"{oos.name}: item {n} needs q and split (validation or test)")
            items.append(Item(raw["q"], None, str(raw["split"]), oos.name))
    if not items:
        raise DatasetError(f"no evaluation items in {directory}")
    return items


def check_against_kb(items: list[Item], kb: KnowledgeBase) -> list[str]:
    """Problems that would make the figures untrustworthy: unknown ids, or questions copied from the KB."""
    ids = {e.id for e in kb.entries}
    phrasings = {normalize(p) for e in kb.entries for p in e.phrasings}
    phrasings |= {normalize(x) for r in kb.redirects for x in r.examples}
    problems = []
    for item in items:
        if item.expected is not None and item.expected not in ids:
            problems.append(f"{item.source}: {item.question!r} is labelled with unknown entry {item.expected!r}")
        if normalize(item.question) in phrasings:
            problems.append(f"{item.source}: {item.question!r} appears in the knowledge base")
    return problems
