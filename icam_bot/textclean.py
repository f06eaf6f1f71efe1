"""Text people type, made safe to store: control characters out (a NUL byte makes PostgreSQL refuse the whole
row), lone surrogates out (they cannot be encoded), line breaks and tabs kept where a field allows them."""

from __future__ import annotations

import re

#: C0 controls except tab and newline, DEL, C1 controls, and UTF-16 surrogates (never valid on their own).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(text: str | None, *, multiline: bool = True) -> str:
    """``text`` without control characters; carriage returns become newlines (``\\r\\n`` one newline).

    Single-line fields (titles, names) also lose their line breaks and tabs (replaced by spaces).
    """
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if multiline:
        return _CONTROL.sub("", text)
    return _CONTROL_ONE_LINE.sub("", text.replace("\n", " ").replace("\t", " "))
