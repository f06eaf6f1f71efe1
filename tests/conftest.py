"""Shared fixtures: the real bundled knowledge base and one matcher per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
