"""Board fixtures: a migrated database (SQLite; PostgreSQL with ICAM_TEST_DATABASE_URL), routing, a clock."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
from board_support import Clock
from sqlalchemy import Engine

from icam_bot.board.service import BoardService
from icam_bot.db import make_engine, upgrade
from icam_bot.tracker.programs import ProgramsConfig, load_programs
from icam_bot.tracker.service import TrackerService

# Reuse the database fixtures of tests/db (an empty SQLite file, or a fresh PostgreSQL schema).
_spec = importlib.util.spec_from_file_location("_db_fixtures", Path(__file__).parents[1] / "db" / "conftest.py")
assert _spec
assert _spec.loader
_db_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_db_fixtures)
empty_url = _db_fixtures.empty_url


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


@pytest.fixture
def board(engine: Engine, programs: ProgramsConfig, clock: Clock) -> BoardService:
    return BoardService(engine, programs, clock=clock)


@pytest.fixture
def tracker(engine: Engine, programs: ProgramsConfig, clock: Clock) -> TrackerService:
    return TrackerService(engine, programs, clock=clock)
