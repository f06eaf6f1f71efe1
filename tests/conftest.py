"""Shared fixtures: the real bundled knowledge base, one matcher per test session, and a database per test.

The database fixtures (``empty_url``, the migrated ``engine``, ``programs``, ``clock``) serve tests/db,
tests/tracker, tests/board and tests/comms; each directory's conftest adds only its own services.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from database_support import PG_URL, postgres_schema
from fake_clock import Clock
from sqlalchemy import Engine

from icam_bot.db import make_engine, upgrade
from icam_bot.programs.routing import ProgramsConfig, load_programs

REPO = Path(__file__).resolve().parents[1]
# Phrasing vectors are cached by text hash; sharing the cache across runs only saves encoding time.
os.environ.setdefault("ICAM_CACHE_DIR", str(REPO / ".cache"))
os.environ.setdefault("ICAM_TEST_CACHE_DIR", os.environ["ICAM_CACHE_DIR"])


@pytest.fixture(scope="session")
def kb():
    from icam_bot.knowledge import load_knowledge

    return load_knowledge()


@pytest.fixture(scope="session")
def matcher(kb):
    from icam_bot.matching import Matcher

    return Matcher(kb, cache_dir=Path(os.environ["ICAM_CACHE_DIR"]))


@pytest.fixture(scope="session")
def responder(kb, matcher):
    from icam_bot.answers import Responder

    return Responder(kb, matcher)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (no tables): a SQLite file, or a fresh schema with ICAM_TEST_DATABASE_URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'icam.sqlite3'}"
        return
    if not PG_URL:
        pytest.skip("ICAM_TEST_DATABASE_URL is not set")
    with postgres_schema(PG_URL) as url:
        yield url


@pytest.fixture
def engine(empty_url: str) -> Iterator[Engine]:
    """A database built by the migrations (never create_all)."""
    engine = make_engine(empty_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def programs() -> ProgramsConfig:
    return load_programs()


@pytest.fixture
def clock() -> Clock:
    return Clock()
