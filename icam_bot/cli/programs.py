"""``icam-bot programs import|export``: bulk planning of the program status board as a YAML file."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from icam_bot.cli.common import CommandError, settings_or_exit


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("programs", help="import or export the program status board (milestones, RAG) as YAML")
    actions = parser.add_subparsers(dest="programs_command", metavar="ACTION", required=True)
    load = actions.add_parser("import", help="load a plan file: all of it, or nothing if any entry is invalid")
    load.add_argument("file", type=Path, help="the plan YAML (see deploy/examples/program-plan.yaml)")
    load.add_argument(
        "--replace",
        action="store_true",
        help="also remove the workstreams and milestones of the file's programs that the file does not list",
    )
    load.set_defaults(func=run_import)
    dump = actions.add_parser("export", help="write the board as a plan file that `import` reads back")
    dump.add_argument("-o", "--output", type=Path, help="write to this file instead of standard output")
    dump.set_defaults(func=run_export)


def _actor() -> str:
    """Who the audit trail records for CLI changes."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"cli:{user}"[:32]


def _service():
    from sqlalchemy import Engine

    from icam_bot.board.service import BoardService
    from icam_bot.db import make_engine, schema_status
    from icam_bot.programs.routing import ProgramsError, load_programs

    try:
        config = load_programs()
    except ProgramsError as exc:
        raise CommandError(str(exc)) from exc
    engine: Engine = make_engine(settings_or_exit().database_url)
    if not schema_status(engine).up_to_date:
        engine.dispose()
        raise CommandError("the database schema is behind: run `icam-bot db upgrade` first")
    return BoardService(engine, config), engine


def run_import(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from icam_bot.board.errors import PlanError
    from icam_bot.board.yaml_io import load_plan
    from icam_bot.errors import IcamError

    service, engine = _service()
    try:
        plan = load_plan(args.file, service.programs, service.today())
        summary = service.import_plan(plan, actor=_actor(), replace=args.replace)
    except PlanError as exc:
        print(f"icam-bot: {args.file}: {exc}", file=sys.stderr)
        return 1
    except IcamError as exc:
        raise CommandError(str(exc)) from exc
    except SQLAlchemyError as exc:
        raise CommandError(f"could not write the database at DATABASE_URL: {exc.__class__.__name__}: {exc}") from exc
    finally:
        engine.dispose()
    print(
        f"imported {args.file} into {len(summary.programs)} program(s): {summary.created} created, "
        f"{summary.updated} updated, {summary.unchanged} unchanged, {summary.removed} removed"
    )
    return 0


def run_export(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from icam_bot.board.yaml_io import dump_plan
    from icam_bot.errors import IcamError

    service, engine = _service()
    try:
        text = dump_plan(service.export_plan())
    except IcamError as exc:
        raise CommandError(str(exc)) from exc
    except SQLAlchemyError as exc:
        raise CommandError(f"could not read the database at DATABASE_URL: {exc.__class__.__name__}: {exc}") from exc
    finally:
        engine.dispose()
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"could not write {args.output}: {exc}") from exc
    print(f"exported the board to {args.output}", file=sys.stderr)
    return 0
