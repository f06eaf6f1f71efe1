"""A linear tokenizer for Slack's message markup: ``<@U123|name>``, ``<!here>``, ``<#C1|chan>``, ``<url|label>``.

Slack escapes ``&``, ``<`` and ``>`` in what people type, so markup is exactly a ``<`` followed by text without
``<`` or ``>`` and a ``>``. Scanning for that shape looks at each character at most twice, whatever the input:
patterns such as ``<([^|>]*)>`` instead rescan the rest of the text from every ``<`` (``"<a" * 20000`` took
~28 s). Both the Slack handlers and the matcher's normalisation read markup through this: ``slack_markup``
yields each ``<body>`` parsed once (``parse_markup``: its kind, target, ``^`` arguments and label), and each
reader decides only what it reads as.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass

LT, GT = "<", ">"
#: Slack's ids and special names, as they appear after the ``@``, ``#`` and ``!`` of markup.
USER_ID = re.compile(r"[UW][A-Z0-9]+")
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]+")
SPECIAL_NAME = re.compile(r"[a-z]+")


class MarkupKind(enum.Enum):
    USER = "@"  # <@U123|name>
    SPECIAL = "!"  # <!here>, <!subteam^S123>, <!date^...|fallback>
    CHANNEL = "#"  # <#C123|chan>
    LINK = "link"  # <https://x|label>, and any other target
    EMPTY = "empty"  # <|label>, <>: no target


@dataclass(frozen=True, slots=True)
class Markup:
    """One ``<body>``, parsed: ``target`` is what follows the sigil up to ``|`` (for SPECIAL, up to ``^``)."""

    body: str
    kind: MarkupKind
    target: str
    label: str
    #: SPECIAL only: what follows the first ``^`` (None without one).
    args: str | None = None


def parse_markup(body: str) -> Markup:
    """The parts of one ``<body>`` (whether they are well formed is for the reader: see USER_ID and the rest)."""
    target, _, label = body.partition("|")
    sigil = target[:1]
    if sigil == "@":
        return Markup(body, MarkupKind.USER, target[1:], label)
    if sigil == "!":
        name, caret, args = target[1:].partition("^")
        return Markup(body, MarkupKind.SPECIAL, name, label, args if caret else None)
    if sigil == "#":
        return Markup(body, MarkupKind.CHANNEL, target[1:], label)
    if not target:
        return Markup(body, MarkupKind.EMPTY, "", label)
    return Markup(body, MarkupKind.LINK, target, label)


def slack_markup(text: str) -> Iterator[tuple[str, Markup | None]]:
    """``markup_spans`` with each body parsed: ``(literal, markup)`` pairs, the last one's markup None."""
    for literal, body in markup_spans(text):
        yield literal, None if body is None else parse_markup(body)


def markup_spans(text: str) -> Iterator[tuple[str, str | None]]:
    """``(literal, body)`` pairs in order: ``literal`` is text before a ``<body>``; the last pair's body is None.

    A ``<`` that is not closed before the next ``<`` (or the end) is literal text.
    """
    start = 0  # where the pending literal text starts
    scan = 0
    closed = -1  # the first '>' after the current '<' (searched again only once passed, so each search is new text)
    while True:
        opened = text.find(LT, scan)
        if opened < 0:
            break
        if closed <= opened:
            closed = text.find(GT, opened + 1)
            if closed < 0:
                break  # no '>' anywhere after: nothing further can be markup
        reopened = text.find(LT, opened + 1, closed)
        if reopened >= 0:
            scan = reopened  # this '<' is literal; the nearer one may open markup
            continue
        yield text[start:opened], text[opened + 1 : closed]
        start = scan = closed + 1
    yield text[start:], None
