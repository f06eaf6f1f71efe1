"""``icam-bot chat``: an interactive console on the same core as Slack (also reads piped stdin)."""

from __future__ import annotations

import argparse
import sys

from icam_bot.cli.common import responder_or_exit
from icam_bot.cli.console_format import format_reply
from icam_bot.matching.engine import Decision

BANNER = (
    "icam-bot console: ask an ICAM question (PIV, PINs, certificates, building access, MFA, vetting, the PMO).\n"
    "Type a number to open a suggestion, 'help' for tips, 'quit' to leave."
)
HELP = (
    "Ask in your own words, e.g. 'my piv is locked', 'what does PACS stand for', 'who sits on the ESC'.\n"
    "When I offer suggestions, type their number to see that answer."
)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("chat", help="interactive console (the main job without Slack tokens)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    interactive = sys.stdin.isatty()
    if interactive:
        print("Loading the knowledge base...", flush=True)
    responder = responder_or_exit()
    kb = responder.kb
    print(BANNER)
    print(f"({len(kb.entries)} entries, {responder.matcher.mode} matching)")
    if kb.site_is_example:
        print("Note: agency-specific values are the shipped examples (set ICAM_SITE_FILE for yours).")
    offered: list[str] = []
    while True:
        try:
            line = input("\nyou> " if interactive else "")
        except EOFError:
            break
        text = line.strip()
        if not interactive:
            print(f"\nyou> {text}")
        if text.lower() in ("quit", "exit", "bye", ":q"):
            break
        if text.lower() in ("help", "?"):
            print(HELP)
            continue
        if text.isdigit() and offered and 1 <= int(text) <= len(offered):
            reply = responder.reply_for_entry(offered[int(text) - 1])
        else:
            reply = responder.ask(line)
        assert reply is not None
        print("bot> " + format_reply(reply).replace("\n", "\n     "))
        offered = [s.id for s in reply.suggestions]
        if reply.can_log:
            print("     (In Slack I can log this question for the ICAM PMO: /icam issue.)")
        if reply.decision is not Decision.SUGGEST and offered:
            print(f"     (Type 1-{len(offered)} to open a related entry.)")
    return 0
