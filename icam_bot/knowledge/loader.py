"""Load and validate a knowledge directory; a broken file stops the load."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path
from typing import Any

import yaml

from icam_bot import __version__
from icam_bot.knowledge.cache import read_cache, write_cache
from icam_bot.knowledge.glossary_entries import glossary_entries
from icam_bot.knowledge.keys import phrasing_key
from icam_bot.knowledge.model import Category, Entry, GlossaryTerm, KnowledgeBase, Redirect
from icam_bot.knowledge.schema import (
    ID_RE,
    PLACEHOLDERS,
    Problem,
    parse_entry,
    parse_redirect,
    parse_term,
    placeholders_in,
)

logger = logging.getLogger(__name__)

GLOSSARY_FILE = "glossary.yaml"
REDIRECTS_FILE = "redirects.yaml"
SITE_FILE = "site.yaml"
#: Part of the fingerprint: bump when loading changes what the same files yield (2: glossary aliases and the
#: "what is a <everyday name>" glossary phrasing).
CACHE_FORMAT = 2
#: YAML files in the knowledge directory that are not FAQ categories.
NON_CATEGORY_FILES = {GLOSSARY_FILE, REDIRECTS_FILE, SITE_FILE, "programs.yaml"}

try:  # the C loader is several times faster; fall back to pure Python
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


class KnowledgeError(Exception):
    """The knowledge base is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"knowledge base has {len(problems)} problem(s):\n{lines}{more}")


def bundled_knowledge_dir() -> Path:
    """The knowledge directory shipped with the package (or the source checkout)."""
    packaged = Path(__file__).resolve().parent.parent / "data" / "knowledge"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "knowledge"


def _read_yaml(path: Path, problems: list[Problem]) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(Problem(path.name, "", "", f"is not valid YAML{where}: {getattr(exc, 'problem', exc)}"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path.name, "", "", f"cannot be read: {exc}"))
    return None


def _load_category(path: Path, problems: list[Problem]) -> tuple[Category | None, list[Entry]]:
    data = _read_yaml(path, problems)
    if data is None:
        if path.stat().st_size and not problems:
            problems.append(Problem(path.name, "", "", "is empty"))
        return None, []
    if not isinstance(data, dict):
        problems.append(Problem(path.name, "", "", "must be a mapping with category, title and entries"))
        return None, []
    slug = path.stem
    if data.get("category") != slug:
        problems.append(Problem(path.name, "", "category", f"must be {slug!r} (the file name)"))
    if not ID_RE.fullmatch(slug):
        problems.append(Problem(path.name, "", "", "file name must be a lowercase slug"))
    title = data.get("title") if isinstance(data.get("title"), str) else slug
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        problems.append(Problem(path.name, "", "entries", "must be a non-empty list"))
        return None, []
    entries = [parse_entry(raw, i, slug, path.name, problems) for i, raw in enumerate(raw_entries)]
    return Category(slug, title), [e for e in entries if e is not None]


def _load_glossary(path: Path, problems: list[Problem]) -> tuple[list[GlossaryTerm], dt.date]:
    if not path.is_file():
        return [], dt.date.today()
    data = _read_yaml(path, problems)
    if not isinstance(data, dict) or not isinstance(data.get("terms"), list):
        problems.append(Problem(path.name, "", "terms", "must be a list of terms"))
        return [], dt.date.today()
    reviewed = data.get("last_reviewed", dt.date.today())
    if not isinstance(reviewed, dt.date):
        problems.append(Problem(path.name, "", "last_reviewed", "must be a date (YYYY-MM-DD)"))
        reviewed = dt.date.today()
    terms = [parse_term(raw, i, path.name, problems) for i, raw in enumerate(data["terms"])]
    seen: set[str] = set()
    for term in terms:
        if term is None:
            continue
        key = term.term.casefold()
        if key in seen:
            problems.append(Problem(path.name, term.term, "term", "is defined twice"))
        seen.add(key)
    return [t for t in terms if t is not None], reviewed


def _load_redirects(path: Path, problems: list[Problem]) -> list[Redirect]:
    if not path.is_file():
        return []
    data = _read_yaml(path, problems)
    if not isinstance(data, dict) or not isinstance(data.get("redirects"), list):
        problems.append(Problem(path.name, "", "redirects", "must be a list of redirects"))
        return []
    items = [parse_redirect(raw, i, path.name, problems) for i, raw in enumerate(data["redirects"])]
    return [r for r in items if r is not None]


def load_site(path: Path, problems: list[Problem]) -> tuple[dict[str, str], bool]:
    """Read agency-specific values; returns (values, whether they are the shipped examples)."""
    if not path.is_file():
        problems.append(Problem(str(path), "", "", "site file not found"))
        return {}, True
    data = _read_yaml(path, problems)
    if not isinstance(data, dict) or not isinstance(data.get("values"), dict):
        problems.append(Problem(path.name, "", "values", "must be a mapping of placeholder names to text"))
        return {}, True
    values: dict[str, str] = {}
    for key, value in data["values"].items():
        if key not in PLACEHOLDERS:
            problems.append(Problem(path.name, "", str(key), "is not a known placeholder"))
        elif not isinstance(value, (str, int)) or not str(value).strip():
            problems.append(Problem(path.name, "", str(key), "must be non-empty text"))
        else:
            values[key] = str(value).strip()
    return values, bool(data.get("example", False))


def _fingerprint(paths: list[Path]) -> str:
    digest = hashlib.sha256(f"{__version__}:{CACHE_FORMAT}".encode())
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _check_cross_file(kb: KnowledgeBase, problems: list[Problem]) -> None:
    seen: dict[str, str] = {}
    for entry in kb.entries:
        if entry.id in seen:
            problems.append(Problem(entry.source_file, entry.id, "id", f"duplicates the id in {seen[entry.id]}"))
        seen[entry.id] = entry.source_file
    texts = [(e.source_file, e.id, "answer", e.answer) for e in kb.entries]
    texts += [(REDIRECTS_FILE, r.id, "message", r.message) for r in kb.redirects]
    for file, item_id, field, text in texts:
        for name in placeholders_in(text):
            if name in PLACEHOLDERS and name not in kb.site:
                problems.append(Problem(file, item_id, field, f"placeholder {{{name}}} has no value in the site file"))


def load_knowledge(
    directory: Path | None = None, site_file: Path | None = None, cache_dir: Path | None = None
) -> KnowledgeBase:
    """Load every file in the knowledge directory; raise KnowledgeError listing all problems.

    With ``cache_dir``, a validated knowledge base is kept as JSON keyed by the files' contents (see
    knowledge/cache.py), so a restart skips parsing; any change to a file (or to this code's version) rebuilds it.
    """
    directory = Path(directory) if directory else bundled_knowledge_dir()
    if not directory.is_dir():
        raise KnowledgeError([Problem(str(directory), "", "", "knowledge directory not found")])
    site_path = Path(site_file) if site_file else directory / SITE_FILE
    category_files = sorted(p for p in directory.glob("*.yaml") if p.name not in NON_CATEGORY_FILES)
    extra = [p for p in (directory / GLOSSARY_FILE, directory / REDIRECTS_FILE) if p.is_file()]
    fingerprint = _fingerprint(category_files + extra + ([site_path] if site_path.is_file() else []))
    cached = read_cache(cache_dir, fingerprint)
    if cached is not None:
        return cached
    kb = _load_and_validate(directory, site_path, category_files, fingerprint)
    write_cache(cache_dir, kb)
    return kb


def _load_and_validate(directory: Path, site_path: Path, category_files: list[Path], fingerprint: str) -> KnowledgeBase:
    problems: list[Problem] = []
    if not category_files:
        problems.append(Problem(str(directory), "", "", "has no category files (*.yaml)"))
    categories: list[Category] = []
    entries: list[Entry] = []
    for path in category_files:
        category, loaded = _load_category(path, problems)
        if category:
            categories.append(category)
        entries.extend(loaded)
    glossary, glossary_reviewed = _load_glossary(directory / GLOSSARY_FILE, problems)
    redirects = _load_redirects(directory / REDIRECTS_FILE, problems)
    site, site_is_example = load_site(site_path, problems)
    kb = KnowledgeBase(
        entries=entries
        + glossary_entries(
            glossary, glossary_reviewed, {phrasing_key(p) for e in entries for p in e.phrasings}, phrasing_key
        ),
        glossary=glossary,
        redirects=redirects,
        categories=categories,
        site=site,
        site_is_example=site_is_example,
        fingerprint=fingerprint,
    )
    _check_cross_file(kb, problems)
    if problems:
        raise KnowledgeError(problems)
    logger.debug("loaded %d entries from %s", len(kb.entries), directory)
    return kb
