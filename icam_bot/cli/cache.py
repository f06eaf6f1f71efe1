"""``icam-bot cache build``: build every cache a start needs (knowledge base, lexical index, ONNX graph, vectors).

Run it ahead of a start so the start reads caches instead of encoding thousands of phrasings: the container
image runs it at build time into a directory the image then names with ICAM_PREBUILT_CACHE_DIR (read-only at
run time). It builds into ICAM_CACHE_DIR (or ``--dir``) for the configured knowledge base (ICAM_KNOWLEDGE_DIR,
ICAM_SITE_FILE), reusing whatever the prebuilt directory already holds.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from icam_bot.cli.common import CommandError, settings_or_exit


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("cache", help="build the caches a start needs, ahead of time")
    cache_sub = parser.add_subparsers(dest="cache_command", metavar="CACHE_COMMAND", required=True)
    build = cache_sub.add_parser(
        "build",
        help="build the knowledge base cache, lexical index, ONNX graph and vectors, then exit",
        description="Build every cache `icam-bot serve` reads at start for the configured knowledge base, then exit.",
    )
    build.add_argument("--dir", type=Path, help="the cache directory to build (default: ICAM_CACHE_DIR)")
    build.set_defaults(func=run_build)


def run_build(args: argparse.Namespace) -> int:
    import dataclasses

    from icam_bot.cli.serve import require_model
    from icam_bot.knowledge import KnowledgeError, load_knowledge
    from icam_bot.matching import Matcher

    settings = settings_or_exit()
    cache_dir = args.dir or settings.cache_dir
    if cache_dir is None:
        raise CommandError("ICAM_CACHE_DIR is none (caching off): name a directory with --dir")
    settings = require_model(dataclasses.replace(settings, cache_dir=cache_dir))  # as serve: the model is required
    # Progress is the point of this command (it runs in image builds and before starts): log it at INFO.
    logging.getLogger("icam_bot").setLevel(min(logging.INFO, logging.getLogger().getEffectiveLevel()))
    start = time.perf_counter()
    try:
        kb = load_knowledge(settings.knowledge_dir, settings.site_file, cache_dir)
    except KnowledgeError as exc:
        raise CommandError(f"{exc}\nThe knowledge base must be fixed before its caches can be built.") from exc
    matcher = Matcher(kb, use_embeddings=settings.use_embeddings, cache_dir=cache_dir)
    elapsed = time.perf_counter() - start
    vectors = f"{matcher.vectors_encoded:,} vectors encoded" if matcher.vectors_encoded else "vectors already cached"
    print(
        f"caches ready in {cache_dir} for {len(kb.entries):,} entries ({matcher.mode} matching; {vectors}) "
        f"in {elapsed:.1f} s"
    )
    return 0
