"""A linear tokenizer for Slack's message markup: ``<@U123|name>``, ``<!here>``, ``<#C1|chan>``, ``<url|label>``.

Slack escapes ``&``, ``<`` and ``>`` in what people type, so markup is exactly a ``<`` followed by text without
``<`` or ``>`` and a ``>``. Scanning for that shape looks at each character at most twice, whatever the input:
patterns such as ``<([^|>]*)>`` instead rescan the rest of the text from every ``<`` (``"<a" * 20000`` took
~28 s). Both the Slack handlers and the matcher's normalisation read markup through this.
"""

from __future__ import annotations

from collections.abc import Iterator

LT, GT = "<", ">"


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
