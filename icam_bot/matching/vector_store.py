"""Phrasing vectors for the index, cached on disk by text so a changed KB re-encodes only what changed.

Rows are read from the cache directory's file and, under it, from the read-only prebuilt cache directory's
(ICAM_PREBUILT_CACHE_DIR, see cache_files.py). Vectors encoded here are written to the cache directory only,
and only those the prebuilt file lacks: a container started from an image with prebuilt caches and the same
knowledge base reads everything and writes nothing.
"""

from __future__ import annotations

import hashlib
import io
import logging
from pathlib import Path

import numpy as np

from icam_bot.cache_files import prebuilt_dir, write_private
from icam_bot.matching.embedding import MODEL_NAME, MiniLMEncoder, available_cpus
from icam_bot.matching.progress import Progress

logger = logging.getLogger(__name__)

#: Above this many cached vectors (about 150 MB), rows not used by the current knowledge base are dropped.
MAX_CACHED_ROWS = 100_000
#: Encoding at least this many texts at once (an index build) uses every available core.
BULK_TEXTS = 256


def _key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def _file_name(precision: str) -> str:
    """One file per vector space (``vectors-<model>-int8.npz``, ``-fp32.npz``)."""
    return f"vectors-{MODEL_NAME}-{precision}.npz"


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        if not path.is_file():
            return {}
        with np.load(path, allow_pickle=False) as data:  # plain arrays only, never pickled objects
            keys, vectors = data["keys"], data["vectors"]
        return {str(k): vectors[i] for i, k in enumerate(keys)}
    except (OSError, ValueError, KeyError):
        logger.warning("ignoring unreadable vector cache %s", path)
        return {}


class VectorCache:
    """A file of text-hash -> vector rows for one model and precision (the encoder's ``precision``: vectors of the
    int8 and fp32 graphs differ slightly and are never mixed), read once and rewritten when it grows."""

    def __init__(self, cache_dir: Path | None, precision: str) -> None:
        self.precision = precision
        self.path = cache_dir / _file_name(precision) if cache_dir else None
        prebuilt = prebuilt_dir(cache_dir)
        #: Rows of the read-only prebuilt cache: read, never written.
        self._prebuilt: dict[str, np.ndarray] = _read(prebuilt / _file_name(precision)) if prebuilt else {}
        #: Rows of the cache directory's own file (written back when it grows).
        self._own: dict[str, np.ndarray] = _read(self.path) if self.path else {}
        #: How many texts the last ``vectors`` call encoded (0 when every vector came from a cache).
        self.encoded = 0

    def _get(self, key: str) -> np.ndarray | None:
        row = self._own.get(key)
        return self._prebuilt.get(key) if row is None else row

    def vectors(
        self, encoder: MiniLMEncoder, texts: list[str], what: str = "phrasings", *, save: bool = True
    ) -> np.ndarray:
        """Vectors for texts, encoding (and caching) the ones not seen before. ``what`` names the texts in
        progress lines (counts and times only: never the texts). ``save=False`` keeps new vectors in memory only
        (a live reload: rewriting the whole file for a phrasing or two would cost more than encoding them)."""
        if encoder.precision != self.precision:
            raise ValueError(f"a {self.precision} vector cache cannot hold {encoder.precision} vectors")
        keys = [_key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if self._get(k) is None}.items())
        self.encoded = len(missing)
        if missing:
            threads = available_cpus() if len(missing) >= BULK_TEXTS else 1
            detail = f"{threads} threads" if threads > 1 else ""
            label = f"new {what}" if self._own or self._prebuilt else what
            progress = Progress(label, len(missing), logger, detail=detail)
            encoded = encoder.encode([t for _, t in missing], threads=threads, progress=progress.update)
            progress.finish()
            for (k, _), vec in zip(missing, encoded, strict=True):
                self._own[k] = vec
            if save:
                self._save(set(keys))
        if not texts:
            return np.zeros((0, encoder.dim), dtype=np.float32)
        rows = [self._get(k) for k in keys]
        return np.stack(rows).astype(np.float32)  # type: ignore[arg-type]

    def _save(self, current: set[str]) -> None:
        """Write the cache directory's rows (other knowledge bases may share the cache); past the cap keep the rows
        of ``current`` only. Rows of the prebuilt cache are not copied."""
        if not self.path:
            return
        rows = self._own if len(self._own) <= MAX_CACHED_ROWS else {k: v for k, v in self._own.items() if k in current}
        if not rows:
            return
        try:
            buffer = io.BytesIO()
            np.savez(buffer, keys=np.array(list(rows)), vectors=np.stack(list(rows.values())))
            write_private(self.path, buffer.getvalue())
        except OSError:
            logger.warning("could not write vector cache %s", self.path, exc_info=True)
