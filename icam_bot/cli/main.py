"""Entry point of the ``icam-bot`` console script: one sub-command module per job."""

from __future__ import annotations

import os

# One BLAS thread per process: the matcher's matrix-vector products are small, and with the default
# thread pool they stall when the CPU is busy. Scale out with processes (replicas) instead.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from icam_bot import __version__

#: Sub-command modules; each exposes ``register(subparsers)`` and sets ``func`` on its parser.
COMMAND_MODULES = (
    "icam_bot.cli.ask",
    "icam_bot.cli.chat",
    "icam_bot.cli.kb",
    "icam_bot.cli.eval",
    "icam_bot.cli.serve",
    "icam_bot.cli.db",
    "icam_bot.cli.report",
    "icam_bot.cli.audit",
    "icam_bot.cli.retention",
    "icam_bot.cli.config",
    "icam_bot.cli.programs",
    "icam_bot.cli.digest",
    "icam_bot.cli.cache",
    "icam_bot.cli.webhooks",
)
#: Commands whose progress (a first start encoding the knowledge base) goes to the log, never to a bar.
LOGGING_COMMANDS = frozenset({"serve"})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="icam-bot",
        description="The ICAM PMO's point of contact: answers from the knowledge base, in Slack or a terminal.",
    )
    parser.add_argument("--version", action="version", version=f"icam-bot {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if args.command not in LOGGING_COMMANDS and sys.stderr.isatty():
        from icam_bot.matching.progress import show_bar

        show_bar(sys.stderr)
    from icam_bot.cli.common import CommandError, fail

    try:
        return int(args.func(args) or 0)
    except CommandError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
