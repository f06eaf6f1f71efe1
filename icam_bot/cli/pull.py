"""``icam-bot kb pull [-o DIR]``: the knowledge taught from Slack, written as knowledge files for review; and the
live changes merged in for ``kb check --live``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from icam_bot.cli.common import CommandError, settings_or_exit

if TYPE_CHECKING:
    from icam_bot.knowledge.model import KnowledgeBase
    from icam_bot.teaching.merge import Change, Merged


def register_pull(kb_sub: argparse._SubParsersAction) -> None:
    parser = kb_sub.add_parser("pull", help="write the knowledge taught from Slack as knowledge files, for review")
    parser.add_argument("-o", "--out", type=Path, help="where to write (default: the knowledge directory)")
    parser.add_argument("--dir", type=Path, help="knowledge directory (default: ICAM_KNOWLEDGE_DIR or bundled)")
    parser.set_defaults(func=run)


def read_live_changes() -> list[Change]:
    """The live changes in DATABASE_URL; CommandError when the database cannot say."""
    from sqlalchemy.exc import SQLAlchemyError

    from icam_bot.db import make_engine, schema_status
    from icam_bot.db.session import make_session_factory
    from icam_bot.teaching.live import live_changes

    engine = make_engine(settings_or_exit().database_url)
    try:
        if not schema_status(engine).up_to_date:
            raise CommandError("the database schema is not current: run `icam-bot db upgrade` first")
        with make_session_factory(engine)() as session:
            return live_changes(session)
    except SQLAlchemyError as exc:
        raise CommandError(f"could not read the database at DATABASE_URL: {exc.__class__.__name__}") from exc
    finally:
        engine.dispose()


def merged_with_live(base: KnowledgeBase) -> Merged:
    """``base`` with the live changes merged in (problems listed, named ``live (Slack)``)."""
    from icam_bot.teaching.merge import merge

    return merge(base, read_live_changes(), 1)


def run(args: argparse.Namespace) -> int:
    from icam_bot.knowledge import KnowledgeError, load_knowledge
    from icam_bot.knowledge.loader import bundled_knowledge_dir
    from icam_bot.teaching.pull import pull

    settings = settings_or_exit()
    directory = args.dir or settings.knowledge_dir or bundled_knowledge_dir()
    try:
        base = load_knowledge(directory, settings.site_file)
    except KnowledgeError as exc:
        raise CommandError(str(exc)) from exc
    changes = read_live_changes()
    if not changes:
        print("Nothing taught from Slack is waiting to be pulled.")
        return 0
    written = pull(base, changes, args.out or directory)
    for path in written:
        print(f"wrote {path}")
    print(
        f"{len(changes)} live change(s) in {len(written)} file(s): review with `git diff`, run `icam-bot kb check`, "
        "then commit."
    )
    return 0
