"""Board fixtures: the board and tracker services on a migrated database (shared fixtures: tests/conftest.py)."""

from __future__ import annotations

import pytest
from fake_clock import Clock
from sqlalchemy import Engine

from icam_bot.board.service import BoardService
from icam_bot.programs.routing import ProgramsConfig
from icam_bot.tracker.service import TrackerService


@pytest.fixture
def board(engine: Engine, programs: ProgramsConfig, clock: Clock) -> BoardService:
    return BoardService(engine, programs, clock=clock)


@pytest.fixture
def tracker(engine: Engine, programs: ProgramsConfig, clock: Clock) -> TrackerService:
    return TrackerService(engine, programs, clock=clock)
