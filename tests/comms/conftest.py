"""Communications fixtures: a migrated database (SQLite; PostgreSQL with ICAM_TEST_DATABASE_URL) and a clock."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from icam_bot.db import make_engine, upgrade

# Reuse the database fixtures of tests/db (an empty SQLite file, or a fresh PostgreSQL schema).
_spec = importlib.util.spec_from_file_location("_db_fixtures", Path(__file__).parents[1] / "db" / "conftest.py")
assert _spec
assert _spec.loader
_db_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_db_fixtures)
empty_url = _db_fixtures.empty_url

# The tracker's test helpers (Clock, new_item) are shared.
sys.path.insert(0, str(Path(__file__).parents[1] / "tracker"))


@pytest.fixture
def engine(empty_url: str) -> Iterator[Engine]:
    """A database built by the migrations (never create_all)."""
    engine = make_engine(empty_url)
    upgrade(engine)
    yield engine
    engine.dispose()
