"""``icam-bot ask``: answer one question, or one JSON object per stdin line with ``--json -``."""

from __future__ import annotations

import argparse
import json
import sys

from icam_bot.cli.common import CommandError, responder_or_exit
from icam_bot.cli.console_format import format_reply


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("ask", help="answer a question from the knowledge base")
    parser.add_argument("question", nargs="*", help="the question; '-' reads one question per line from stdin")
    parser.add_argument("--json", action="store_true", help="print one JSON object per question")
    parser.set_defaults(func=run)


def _questions(args: argparse.Namespace) -> list[str] | None:
    if args.question == ["-"]:
        return None
    text = " ".join(args.question).strip()
    if not text:
        raise CommandError('give a question, e.g. icam-bot ask "how do I reset my PIV PIN?", or - to read stdin')
    return [text]


def run(args: argparse.Namespace) -> int:
    questions = _questions(args)
    responder = responder_or_exit()
    lines = questions if questions is not None else (line.rstrip("\r\n") for line in sys.stdin)
    for question in lines:
        reply = responder.ask(question)
        if args.json:
            sys.stdout.write(json.dumps(reply.as_json(), ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(format_reply(reply) + "\n")
            if questions is None:
                sys.stdout.write("\n")
        sys.stdout.flush()
    return 0
