"""Files in ICAM_CACHE_DIR: a private directory (0700), files written atomically and readable by the owner only
(0600), and only data formats (JSON, npz without pickled objects), never pickle.

Whoever can write the cache directory can change what is read from it; with pickle that meant running code as
the bot. Every reader here parses plain data and treats anything malformed as "no cache" (rebuilt).

A second, read-only directory of caches built ahead of time (``icam-bot cache build``, run when the container image
is built) can be named with ICAM_PREBUILT_CACHE_DIR: it is read after ICAM_CACHE_DIR and never written; whatever
is missing from it (a knowledge base that differs) is built and written to ICAM_CACHE_DIR only. It is consulted
only while caching is on (ICAM_CACHE_DIR is not ``none``).
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

PRIVATE_DIR_MODE = 0o700
#: Names the read-only directory of prebuilt caches.
PREBUILT_ENV = "ICAM_PREBUILT_CACHE_DIR"
#: Cache files of earlier versions, removed on sight, never read: pickles, and the embedding graphs and vectors
#: from before they had a precision (graphs ``<model>-<hash12>.onnx`` and ``-g2.onnx``, now
#: ``<model>-<hash12>-g<version>-<precision>.onnx``; vectors ``vectors-<model>.npz``, now
#: ``vectors-<model>-<precision>.npz``).
_GRAPH = "all-MiniLM-L6-v2-" + "?" * 12
OBSOLETE_PATTERNS = (
    "knowledge-*.pickle",
    "lexical-*.pickle",
    _GRAPH + ".onnx",
    _GRAPH + "-g2.onnx",
    "vectors-all-MiniLM-L6-v2.npz",
)


def private_dir(path: Path) -> Path:
    """``path`` created if needed, and made 0700 when it is ours (a directory someone else owns is left as is)."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    info = path.stat()
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != PRIVATE_DIR_MODE:
        path.chmod(PRIVATE_DIR_MODE)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (a 0600 temporary file renamed over it) in a private directory."""
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_obsolete(cache_dir: Path) -> None:
    """Delete cache files of formats no longer read (pickles of earlier versions)."""
    for pattern in OBSOLETE_PATTERNS:
        for old in cache_dir.glob(pattern):
            old.unlink(missing_ok=True)


def prebuilt_dir(cache_dir: Path | None) -> Path | None:
    """The read-only prebuilt cache directory (ICAM_PREBUILT_CACHE_DIR), when set, present and not ``cache_dir``
    itself; None while caching is off (``cache_dir`` None)."""
    raw = os.environ.get(PREBUILT_ENV)
    if cache_dir is None or not raw:
        return None
    path = Path(raw)
    try:
        if not path.is_dir() or path.resolve() == cache_dir.resolve():
            return None
    except OSError:
        return None
    return path


def find_cached(cache_dir: Path | None, name: str) -> Path | None:
    """The cache file ``name`` in ``cache_dir`` (written here) or else in the prebuilt directory, if either has it."""
    for folder in (cache_dir, prebuilt_dir(cache_dir)):
        try:
            if folder is not None and (folder / name).is_file():
                return folder / name
        except OSError:  # a directory we may not search: no cache there
            continue
    return None
