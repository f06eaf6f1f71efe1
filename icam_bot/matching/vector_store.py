"""Phrasing vectors for the index, cached on disk by text so a changed KB re-encodes only what changed."""

from __future__ import annotations

import hashlib
import io
import logging
from pathlib import Path

import numpy as np

from icam_bot.cache_files import write_private
from icam_bot.matching.embedding import MODEL_NAME, MiniLMEncoder

logger = logging.getLogger(__name__)

#: Above this many cached vectors (about 150 MB), rows not used by the current knowledge base are dropped.
MAX_CACHED_ROWS = 100_000


def _key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


class VectorCache:
    """A file of text-hash -> vector rows for one model, read once and rewritten when it grows."""

    def __init__(self, cache_dir: Path | None) -> None:
        self.path = cache_dir / f"vectors-{MODEL_NAME}.npz" if cache_dir else None
        self._rows: dict[str, np.ndarray] = {}
        if self.path and self.path.is_file():
            try:
                with np.load(self.path, allow_pickle=False) as data:  # plain arrays only, never pickled objects
                    keys, vectors = data["keys"], data["vectors"]
                self._rows = {str(k): vectors[i] for i, k in enumerate(keys)}
            except (OSError, ValueError, KeyError):
                logger.warning("ignoring unreadable vector cache %s", self.path)

    def vectors(self, encoder: MiniLMEncoder, texts: list[str]) -> np.ndarray:
        """Vectors for texts, encoding (and caching) the ones not seen before."""
        keys = [_key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self._rows}.items())
        if missing:
            logger.info("encoding %d new phrasings", len(missing))
            encoded = encoder.encode([t for _, t in missing])
            for (k, _), vec in zip(missing, encoded, strict=True):
                self._rows[k] = vec
            self._save(set(keys))
        if not texts:
            return np.zeros((0, encoder.dim), dtype=np.float32)
        return np.stack([self._rows[k] for k in keys]).astype(np.float32)

    def _save(self, current: set[str]) -> None:
        """Write every known row (other knowledge bases may share the cache); past the cap keep ``current`` only."""
        if not self.path:
            return
        rows = self._rows if len(self._rows) <= MAX_CACHED_ROWS else {k: self._rows[k] for k in current}
        try:
            buffer = io.BytesIO()
            np.savez(buffer, keys=np.array(list(rows)), vectors=np.stack(list(rows.values())))
            write_private(self.path, buffer.getvalue())
        except OSError:
            logger.warning("could not write vector cache %s", self.path, exc_info=True)
