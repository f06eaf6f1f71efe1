"""ICAM_CACHE_DIR holds no executable format: a crafted cache file is never run, only ignored and rebuilt.

Whoever can write the cache directory must not run code as the bot (pickle runs code when it is loaded).
"""

from __future__ import annotations

import pickle
import stat
from pathlib import Path

from icam_bot.cache_files import remove_obsolete
from icam_bot.knowledge import load_knowledge
from icam_bot.matching import Matcher


class _Payload:
    """Unpickling this creates the marker file: proof that a cache file was run as code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _matcher(kb, cache: Path) -> Matcher:
    return Matcher(kb, use_embeddings=False, cache_dir=cache)


def test_crafted_cache_files_are_never_run(tmp_path):
    cache = tmp_path / "cache"
    kb = load_knowledge(cache_dir=cache)
    _matcher(kb, cache)
    written = [p for p in cache.iterdir() if p.is_file()]
    assert written, "the knowledge base and the lexical index are cached"
    marker = tmp_path / "pwned"
    for path in written:  # an attacker who can write the cache directory replaces every file
        path.write_bytes(pickle.dumps(_Payload(marker)))
    again = load_knowledge(cache_dir=cache)
    matcher = _matcher(again, cache)
    assert not marker.exists(), "a cache file was unpickled"
    assert again == kb  # rebuilt from the knowledge files
    assert matcher.match("how do I reset my PIV PIN?").candidates  # the rebuilt index still ranks entries


def test_cache_round_trips_and_the_directory_is_private(tmp_path):
    cache = tmp_path / "data" / "cache"
    kb = load_knowledge(cache_dir=cache)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert not list(cache.glob("*.pickle"))
    cached = load_knowledge(cache_dir=cache)
    assert cached == kb
    fresh, warm = _matcher(kb, cache), _matcher(cached, cache)
    for question in ("how do I reset my PIV PIN?", "what does PACS stand for", "derived credential"):
        a, b = fresh.match(question), warm.match(question)
        assert (a.decision, a.best) == (b.decision, b.best)
    for path in cache.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_cache_files_of_earlier_formats_are_removed(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    graph = "all-MiniLM-L6-v2-0123456789ab"
    old = [f"{graph}.onnx", f"{graph}-g2.onnx", "vectors-all-MiniLM-L6-v2.npz"]
    current = [f"{graph}-g3-int8.onnx", f"{graph}-g3-fp32.onnx", "vectors-all-MiniLM-L6-v2-int8.npz"]
    for name in old + current:
        (cache / name).write_bytes(b"x")
    remove_obsolete(cache)
    assert sorted(p.name for p in cache.iterdir()) == sorted(current)
