"""Every ``/icam`` subcommand, in ``/icam help`` order: the one place their names, handlers, usage, help text
and who may run them are written. The dispatcher, ``/icam help`` and the manifests' usage hint read it."""

from __future__ import annotations

from types import MappingProxyType

from handlers.analytics import commands as analytics
from handlers.analytics.blocks import with_chart_note
from handlers.answers.ask import ask
from handlers.board import commands as board
from handlers.board.commands import is_item_ref
from handlers.channels import commands as channels
from handlers.comms import commands as comms
from handlers.slash.help import help_message
from handlers.slash.registry import Call, HelpLine, Message, Subcommand, replying
from handlers.teaching import commands as teaching
from handlers.tracker import commands as tracker
from handlers.tracker.parsing import split_ref


async def show_help(call: Call) -> None:
    await call.ack(**help_message(HELP_LINES))


async def status(call: Call) -> Message:
    """``status ICAM-<n>``: one item; ``status [program]``: the program board."""
    ref, _ = split_ref(call.rest)
    return await (tracker.item_status(call) if is_item_ref(ref) else board.status(call))


async def stats(call: Call) -> Message:
    """``stats``: the tracker statistics, and the weekly chart in the caller's DM; ``stats answers``: the answer
    analytics."""
    if call.rest.strip().lower() == "answers":
        return await analytics.answers(call)
    reply = await tracker.stats(call)
    sent = await analytics.send_chart(call)
    return reply if sent is None else with_chart_note(reply, sent)


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand(
        "ask",
        ask,
        (
            HelpLine(
                "ask <question>",
                "answer a question from the ICAM knowledge base (`ask` may be left out)",
                "ask how do I reset my PIV PIN?",
            ),
        ),
        hint="ask <question>",
    ),
    Subcommand(
        "issue",
        replying(tracker.issue),
        (
            HelpLine(
                "issue [text]",
                "report a question, issue, concern or risk to the ICAM PMO (opens a form)",
                "issue badge readers in building 3 reject new PIV cards",
            ),
        ),
        hint="issue [text]",
    ),
    Subcommand(
        "status",
        replying(status),
        (
            HelpLine("status ICAM-<n>", "show one item you raised, own or work on", "status ICAM-12"),
            HelpLine(
                "status",
                "the program status board: every program's RAG, next milestone, open items, overdue",
                "status",
            ),
            HelpLine(
                "status <program>",
                "one program's workstreams, milestones, risks and recent changes",
                "status credentialing",
            ),
        ),
        hint="status [program | ICAM-<n>]",
    ),
    Subcommand(
        "risks",
        replying(board.risks),
        (HelpLine("risks", "PMO, ESC and program staff: top open risks by likelihood × impact", "risks"),),
        hint="risks",
    ),
    Subcommand(
        "program",
        replying(board.program),
        (
            HelpLine(
                "program [program [milestone]]",
                "PMO: set a program's RAG and note, add or edit a milestone (opens a form)",
                "program credentialing",
            ),
        ),
        who=board.editors,
    ),
    Subcommand(
        "mine",
        replying(tracker.mine),
        (HelpLine("mine", "list the open items you raised or are assigned", "mine"),),
        hint="mine",
    ),
    Subcommand(
        "queue",
        replying(tracker.queue),
        (HelpLine("queue [program]", "PMO and program owners: open items, most urgent first", "queue credentialing"),),
        hint="queue",
    ),
    Subcommand(
        "assign",
        replying(tracker.assign),
        (
            HelpLine(
                "assign ICAM-<n> @person", "give an item to someone (owners and the PMO)", "assign ICAM-12 @jane.doe"
            ),
        ),
    ),
    Subcommand(
        "comment",
        replying(tracker.comment, on_error=tracker.text_kept),
        (
            HelpLine(
                "comment ICAM-<n> <text>",
                "add a comment (the reporter and assignee are told)",
                "comment ICAM-12 card re-issued",
            ),
        ),
    ),
    Subcommand(
        "escalate",
        replying(tracker.escalate, on_error=tracker.text_kept),
        (
            HelpLine(
                "escalate ICAM-<n> <reason>", "escalate one level up the chain", "escalate ICAM-12 blocking 40 staff"
            ),
        ),
    ),
    Subcommand(
        "resolve",
        replying(tracker.resolve, on_error=tracker.text_kept),
        (HelpLine("resolve ICAM-<n> <resolution>", "resolve an item", "resolve ICAM-12 reader firmware updated"),),
    ),
    Subcommand(
        "reopen",
        replying(tracker.reopen),
        (HelpLine("reopen ICAM-<n> [reason]", "reopen a resolved or closed item", "reopen ICAM-12 still failing"),),
    ),
    Subcommand(
        "stats",
        replying(stats),
        (
            HelpLine("stats", "PMO and ESC: tracker statistics, with a chart of the last 12 weeks in your DM", "stats"),
            HelpLine(
                "stats answers",
                "questions asked, answered, suggested, declined and redirected per week; feedback; unanswered "
                "questions (their text for the PMO)",
                "stats answers",
            ),
        ),
    ),
    Subcommand(
        "subscribe",
        replying(comms.subscribe),
        (
            HelpLine(
                "subscribe [program]",
                "this channel receives ICAM PMO announcements: all of them, or one program's (anyone in the channel)",
                "subscribe credentialing",
            ),
        ),
    ),
    Subcommand(
        "unsubscribe",
        replying(comms.unsubscribe),
        (
            HelpLine(
                "unsubscribe [program]", "stop this channel's announcements (all, or one program's)", "unsubscribe"
            ),
        ),
    ),
    Subcommand(
        "subscriptions",
        replying(comms.subscriptions),
        (HelpLine("subscriptions", "show what this channel is subscribed to", "subscriptions"),),
    ),
    Subcommand(
        "announce",
        replying(comms.announce),
        (
            HelpLine(
                "announce [text]",
                "PMO: write an announcement, preview it and post it to subscribed channels",
                "announce",
            ),
        ),
        who=comms.pmo_only,
    ),
    Subcommand(
        "listen",
        replying(channels.listen),
        (
            HelpLine(
                "listen on|off",
                "PMO: help-channel mode here: I answer new questions in threads when confident, else stay silent",
                "listen on",
            ),
        ),
        who=comms.pmo_only,
    ),
    Subcommand(
        "gaps",
        replying(teaching.gaps),
        (
            HelpLine(
                "gaps",
                "PMO and program owners: questions I could not answer; close each with an entry, a new answer or "
                "as not ICAM, and the askers hear back",
                "gaps",
            ),
        ),
        who=teaching.reviewers,
    ),
    Subcommand("help", show_help, (HelpLine("help", "show this list", "help"),), hint="help"),
)

#: name -> subcommand.
BY_NAME = MappingProxyType({subcommand.name: subcommand for subcommand in SUBCOMMANDS})
#: What ``/icam help`` lists, in order.
HELP_LINES: tuple[HelpLine, ...] = tuple(line for subcommand in SUBCOMMANDS for line in subcommand.help)
#: The slash command's usage hint in deploy/slack-app-manifest*.yaml (tests/slack/test_manifest.py compares them).
USAGE_HINT = " | ".join(subcommand.hint for subcommand in SUBCOMMANDS if subcommand.hint)
#: Text that names no subcommand is a question: ``/icam my PIV card is locked``.
QUESTION = BY_NAME["ask"]
