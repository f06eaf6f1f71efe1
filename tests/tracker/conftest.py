"""Tracker fixtures: the service on a migrated database (``engine``, ``programs``, ``clock``: tests/conftest.py)."""

from __future__ import annotations

import pytest
from fake_clock import Clock
from sqlalchemy import Engine

from icam_bot.programs.routing import ProgramsConfig
from icam_bot.tracker.service import TrackerService


@pytest.fixture
def service(engine: Engine, programs: ProgramsConfig, clock: Clock) -> TrackerService:
    return TrackerService(engine, programs, clock=clock)
