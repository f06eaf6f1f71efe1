"""Fixtures: one Responder per session, a fresh migrated database per test, the app served on port 0."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from database_support import PG_URL, postgres_schema
from knowledge_gaps import ABSTAIN_PROBES

from icam_bot.answers import Reply, Responder
from icam_bot.config import Settings
from icam_bot.db import make_engine, upgrade


@pytest.fixture(scope="session")
def responder(tmp_path_factory: pytest.TempPathFactory) -> Responder:
    """The real bundled knowledge base, built once per session.

    The embedding cache lives in a stable temp directory (ICAM_TEST_CACHE_DIR to override) because encoding
    every phrasing takes from 20 s to minutes on a busy machine; the cache is keyed by the KB's fingerprint.
    """
    from icam_bot.runtime import build_responder

    cache = os.environ.get("ICAM_TEST_CACHE_DIR") or str(Path(tempfile.gettempdir()) / "icam-bot-test-cache")
    data = tmp_path_factory.mktemp("data")
    settings = Settings.from_env({"ICAM_CACHE_DIR": cache, "ICAM_DATA_DIR": str(data)})
    built = build_responder(settings)
    built.ask("warm up the matcher")
    return built


@pytest.fixture
def database_url(empty_url: str) -> str:
    """A migrated database URL: a SQLite file, and PostgreSQL when ICAM_TEST_DATABASE_URL is set."""
    engine = make_engine(empty_url)
    upgrade(engine)
    engine.dispose()
    return empty_url


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL schema (no tables yet); skipped without ICAM_TEST_DATABASE_URL."""
    if not PG_URL:
        pytest.skip("ICAM_TEST_DATABASE_URL is not set")
    with postgres_schema(PG_URL) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'icam.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


ANSWER_PROBES = ("what does PACS stand for?", "how do I reset my PIV PIN?", "my piv card is locked")
SUGGEST_PROBES = (
    "how long is a piv card good for",
    "locked card",
    "pin",
    "derived credential",
    "card",
    "access",
    "reset",
    "piv card renewal or certificates update",
)
#: Vague ICAM questions: declined, but close entries are listed beside the offer to log.
RELATED_PROBES = ("card stuff", "something about my badge and the office", "question about access", "piv", "badge")
REDIRECT_PROBES = ("I need help with my laptop", "how do I book a conference room", "what is the cafeteria menu")


@dataclass(frozen=True)
class Questions:
    """Questions that, with the knowledge base and matcher as they are now, lead to each kind of reply.

    Found by asking (the knowledge base and the matcher's calibration evolve), so scenario tests assert on
    the Slack behaviour for a kind of reply rather than on one matcher decision. The fixed probes are tried
    first, then the knowledge base's own questions and the held-out evaluation set (in-scope questions,
    off-topic ones with and without a redirect): a kind that none of them leads to is a regression, and the
    test that needs it fails saying so.
    """

    found: dict[str, str]
    tried: dict[str, int]

    def __getattr__(self, kind: str) -> str:
        if kind not in self.found:
            pytest.fail(
                f"no question leads to a {kind!r} reply any more ({self.tried.get(kind, 0)} tried: the probes in "
                "tests/slack/conftest.py, the knowledge base's questions and the evaluation set): the matcher or the "
                "knowledge base changed how such questions are answered",
                pytrace=False,
            )
        return self.found[kind]


def _first(responder: Responder, candidates: list[str], wanted: Callable[[Reply], bool]) -> tuple[str | None, int]:
    """The first candidate (in order, duplicates skipped) whose reply is ``wanted``, and how many were asked."""
    asked = 0
    for question in dict.fromkeys(candidates):
        asked += 1
        if wanted(responder.ask(question)):
            return question, asked
    return None, asked


@pytest.fixture(scope="session")
def questions(responder: Responder) -> Questions:
    from icam_bot.evaluation.dataset import NO_REDIRECT, load_dataset
    from icam_bot.matching.engine import Decision

    items = load_dataset()
    kb_questions = [e.question for e in responder.kb.entries]
    in_scope = [i.question for i in items if i.in_scope]
    off_topic = [i.question for i in items if not i.in_scope and i.redirect == NO_REDIRECT]
    redirected = [i.question for i in items if not i.in_scope and i.redirect not in (None, NO_REDIRECT)]
    searches: dict[str, tuple[list[str], Callable[[Reply], bool]]] = {
        "answer": (
            [*ANSWER_PROBES, *kb_questions],
            lambda r: r.decision is Decision.ANSWER and bool(r.suggestions),
        ),
        "suggest": (
            [*SUGGEST_PROBES, *in_scope],
            lambda r: r.decision is Decision.SUGGEST and len(r.suggestions) >= 2,
        ),
        "abstain": (
            [*ABSTAIN_PROBES, *off_topic],
            lambda r: r.decision is Decision.ABSTAIN and r.can_log and not r.suggestions,
        ),
        "abstain_related": (
            [*RELATED_PROBES, *in_scope],
            lambda r: r.decision is Decision.ABSTAIN and r.can_log and bool(r.suggestions),
        ),
        "redirect": ([*REDIRECT_PROBES, *redirected], lambda r: bool(r.redirect_id)),
    }
    found: dict[str, str] = {}
    tried: dict[str, int] = {}
    for kind, (candidates, wanted) in searches.items():
        question, tried[kind] = _first(responder, candidates, wanted)
        if question is not None:
            found[kind] = question
    return Questions(found, tried)
