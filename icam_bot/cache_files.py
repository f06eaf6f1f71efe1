"""Files in ICAM_CACHE_DIR: a private directory (0700), files written atomically and readable by the owner only
(0600), and only data formats (JSON, npz without pickled objects), never pickle.

Whoever can write the cache directory can change what is read from it; with pickle that meant running code as
the bot. Every reader here parses plain data and treats anything malformed as "no cache" (rebuilt).
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

PRIVATE_DIR_MODE = 0o700
#: Cache files of earlier versions that were pickles: removed on sight, never read.
OBSOLETE_PATTERNS = ("knowledge-*.pickle", "lexical-*.pickle")


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
